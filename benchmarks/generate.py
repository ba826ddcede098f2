"""Generation latency on PyTorch and on onnxruntime, side by side: 1, 64 and 1024 digits per call.

    .venv/bin/python benchmarks/generate.py [--repeats 30] [--threads 1] [--models cdcgan ...] [--device cpu]

Times `Sampler.sample` end to end (noise, generator forward, conversion to uint8 on the host)
for the default model and every other bundled one, on both backends, after a warm-up (the ONNX
graphs are exported before timing starts). A model that `Sampler` draws through a fast form of its
generator (a DCGAN's folded form, `nets/folded.py`; r3gan's channels-last copy) is also timed on
torch through the trained module itself, to show what that gains. The variants take turns within
each repeat, so a noisy machine slows all alike; the table shows the medians, torch's time over
onnx's, and the module's over the fast form's.
Both use --threads threads (default: torch's default; onnxruntime's are set through OMP_NUM_THREADS).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import onnxruntime
import torch

from mnistgan import registry
from mnistgan.devices import describe
from mnistgan.sampling import Sampler


def median_ms(samplers: dict[str, Sampler], num: int, repeats: int) -> dict[str, float]:
    """Median milliseconds of `sample(num)` per backend, the backends alternating within each repeat."""
    times: dict[str, list[float]] = {backend: [] for backend in samplers}
    for s in samplers.values():
        s.sample(num, seed=0)  # warm-up
    for i in range(repeats):
        for backend, s in samplers.items():
            t0 = time.perf_counter()
            s.sample(num, seed=i)
            times[backend].append((time.perf_counter() - t0) * 1000)
    return {backend: statistics.median(t) for backend, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--device", default="cpu", help="the torch backend's device (onnxruntime runs on the CPU)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 64, 1024])
    bundled = [r.name for r in registry.all_models() if r.bundled]
    default = [registry.DEFAULT_MODEL] + [n for n in bundled if n != registry.DEFAULT_MODEL]
    ap.add_argument("--models", nargs="+", default=default)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads(), help="threads per backend")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # onnxruntime's threads (see onnx_backend.py)
    print(f"{describe(torch.device(args.device))}, "
          f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, {torch.get_num_threads()} threads each, "
          f"median of {args.repeats}")
    print(f"{'model':10s} {'digits':>6s} {'torch':>11s} {'onnx':>11s} {'torch / onnx':>13s} "
          f"{'torch, module':>16s} {'module / fast':>18s}")
    for name in args.models:
        samplers = {"torch": Sampler.from_pretrained(name, device=args.device),
                    "onnx": Sampler.from_pretrained(name, backend="onnx")}
        backend = samplers["torch"].backend
        if backend.draw is not backend.G:
            samplers["module"] = Sampler.from_pretrained(name, device=args.device)
            samplers["module"].backend.draw = samplers["module"].backend.G  # the trained module itself
        for num in args.sizes:
            ms = median_ms(samplers, num, args.repeats)
            module = f"{ms['module']:13.2f} ms {ms['module'] / ms['torch']:17.2f}x" if "module" in ms else ""
            print(f"{name:10s} {num:6d} {ms['torch']:8.2f} ms {ms['onnx']:8.2f} ms "
                  f"{ms['torch'] / ms['onnx']:12.2f}x {module}")


if __name__ == "__main__":
    main()

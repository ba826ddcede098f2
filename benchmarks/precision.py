"""Training speed of every preset under each precision the device offers: what `--precision auto` picks.

mnistgan's own training step (`Trainer.train_batch`, CUDA graphs where `fit` uses them), on the
preset's batch size; windows of each precision interleaved, medians. On a CPU: fp32 and, where
the CPU has native bf16, bf16. On an NVIDIA GPU: fp32 (IEEE), tf32 and bf16.

    .venv/bin/python benchmarks/precision.py                         # every preset, this machine
    python benchmarks/precision.py --device cuda --steps 300         # on a GPU
"""

from __future__ import annotations

import argparse
import statistics

import torch

from mnistgan.data import load_mnist
from mnistgan.devices import cpu_has_bf16, pick_device, pick_precision, use_tf32
from mnistgan.presets import PRESETS

from throughput import MnistganLoop, timed  # noqa: E402  (same folder)


def images_per_s(loop: MnistganLoop, d_steps: int, sync) -> float:
    # Trainers share torch's process-wide TF32 switch: set it for this one before it runs.
    if loop.trainer.device.type == "cuda":
        use_tf32(loop.trainer.precision == "tf32")
    return timed(loop, max(1, d_steps // loop.n_critic), sync)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", nargs="+", default=list(PRESETS))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=30, help="D steps per timed window")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved windows per precision")
    args = ap.parse_args()
    device = pick_device(args.device)
    if device.type == "cuda":
        precisions, sync = ["fp32", "tf32", "bf16"], torch.cuda.synchronize
        where = torch.cuda.get_device_name(device)
    else:
        precisions, sync = ["fp32"] + (["bf16"] if cpu_has_bf16() else []), (lambda: None)
        where = f"{device.type}, {torch.get_num_threads()} threads"
    auto = pick_precision("auto", device)
    print(f"torch {torch.__version__}, {where}; --precision auto picks {auto}")
    train = load_mnist("train").to(device)
    for preset in args.presets:
        loops = {p: MnistganLoop(preset, str(device), p, train) for p in precisions}
        for loop in loops.values():  # warm-up: CUDA graphs are captured after a few eager steps
            images_per_s(loop, 10, sync)
        rates: dict[str, list[float]] = {p: [] for p in precisions}
        for _ in range(args.rounds):
            for p, loop in loops.items():
                rates[p].append(images_per_s(loop, args.steps, sync))
        median = {p: statistics.median(r) for p, r in rates.items()}
        batch = loops[precisions[0]].trainer.cfg.batch_size
        cells = " | ".join(f"{p} {median[p]:9,.0f} img/s ({median[p] / median['fp32']:.2f}x)" for p in precisions)
        fastest = max(median, key=median.get)
        print(f"{preset:9s} batch {batch:3d}: {cells} | fastest {fastest}", flush=True)


if __name__ == "__main__":
    main()

"""Generation latency of every bundled model: 1, 64 and 1024 digits per call.

    .venv/bin/python benchmarks/generate.py [--repeats 20] [--device cpu]

Times `Sampler.sample` end to end (noise, generator forward, conversion to
uint8 on the host) after a warm-up, and prints the median and the best of the
repeats in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from mnistgan import registry
from mnistgan.devices import describe
from mnistgan.sampling import Sampler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 64, 1024])
    args = ap.parse_args()
    print(f"{describe(torch.device(args.device))}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    header = "".join(f"{f'{n} digits (median / best)':>28s}" for n in args.sizes)
    print(f"{'model':14s}{header}")
    for ref in [r for r in registry.all_models() if r.bundled]:
        s = Sampler.from_pretrained(ref.name, device=args.device)
        cells = []
        for n in args.sizes:
            s.sample(n, seed=0)  # warm-up
            times = []
            for i in range(args.repeats):
                t0 = time.perf_counter()
                s.sample(n, seed=i)
                times.append((time.perf_counter() - t0) * 1000)
            cells.append(f"{statistics.median(times):14.2f} / {min(times):6.2f} ms")
        print(f"{ref.name:14s}" + "".join(f"{c:>28s}" for c in cells))


if __name__ == "__main__":
    main()

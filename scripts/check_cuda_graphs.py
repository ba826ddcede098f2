"""On a CUDA machine: do CUDA-graph steps train the same weights as eager steps?

CI has no GPU, so this is the check to run where one is. For each preset it trains the same
seeded steps three ways (eager; graphs through `fit`'s path, `Trainer.train_batch`, which
captures the gather; graphs through `Trainer.train_step`) and, as the yardstick, eager twice,
then prints the largest weight difference of each pair. cuDNN's backward convolutions are not
deterministic on a GPU, so for the DCGANs "the same" means "no further apart than two eager runs".

    python scripts/check_cuda_graphs.py                      # mlp-gan, cdcgan, wgan-gp; 40 steps
    python scripts/check_cuda_graphs.py --presets dcgan --steps 100
"""

from __future__ import annotations

import argparse
import sys
import tempfile

import torch

from mnistgan.config import resolve
from mnistgan.data import DeviceBatches, load_mnist
from mnistgan.train.loop import Trainer


def trained(preset: str, train, steps: int, graphs: str, through_train_step: bool = False) -> Trainer:
    cfg = resolve(preset, device="cuda", cuda_graphs=graphs)
    trainer = Trainer(cfg, tempfile.mkdtemp(), log=lambda m: None, progress=False)
    batches = DeviceBatches(train, cfg.batch_size, trainer.data_gen)
    for _, idx in zip(range(steps), batches.epoch_indices()):
        if through_train_step:
            trainer.train_step(*batches.gather(idx))
        else:
            trainer.train_batch(batches, idx)
    torch.cuda.synchronize()
    return trainer


def largest_difference(a: Trainer, b: Trainer) -> float:
    pairs = zip([*a.gan.G.parameters(), *a.gan.D.parameters()], [*b.gan.G.parameters(), *b.gan.D.parameters()])
    return max((x - y).abs().max().item() for x, y in pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", nargs="+", default=["mlp-gan", "cdcgan", "wgan-gp"])
    ap.add_argument("--steps", type=int, default=40, help="D steps per run (within the first epoch)")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("error: no CUDA GPU here; this check is for machines that have one")
    train = load_mnist("train").to("cuda")
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, {args.steps} steps; largest |weight difference|:")
    for preset in args.presets:
        eager, eager_again = (trained(preset, train, args.steps, "off") for _ in range(2))
        graphed = trained(preset, train, args.steps, "on")
        graphed_public = trained(preset, train, args.steps, "on", through_train_step=True)
        kinds = ", ".join("D+G" if g_step else "D only" for _, g_step, _ in graphed.runner.graphs)
        print(f"{preset:9s} ({graphed.precision}; graphs: {kinds}): eager vs eager {largest_difference(eager, eager_again):.2e} | "
              f"eager vs graphs {largest_difference(eager, graphed):.2e} | "
              f"train_batch vs train_step graphs {largest_difference(graphed, graphed_public):.2e}", flush=True)


if __name__ == "__main__":
    main()

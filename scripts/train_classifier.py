"""Train mnistgan's feature network (the MNIST classifier behind every quality metric).

    .venv/bin/python scripts/train_classifier.py            # the shipped recipe

The recipe is fixed and deterministic on a given CPU: seed 0, deterministic
algorithms, 2 threads, Adam with a one-cycle schedule, label smoothing, and
augmentation by small random affine warps (rotation, scale, shift) done with
tensor ops on each batch. It trains on the 60,000 training digits only and
reports accuracy on the 10,000 test digits, which it never trains on. It writes
src/mnistgan/metrics/classifier.safetensors (fp32 weights) and classifier.json
(architecture, accuracy, command, seed, epochs, wall time, versions).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mnistgan.data import load_mnist, to_unit_range  # noqa: E402
from mnistgan.fileio import atomic_path, atomic_write_text  # noqa: E402
from mnistgan.metrics.features import CONFIG, WEIGHTS, Classifier  # noqa: E402


def augment(x: torch.Tensor, g: torch.Generator, max_deg: float, max_scale: float, max_shift: float) -> torch.Tensor:
    """A random affine warp per image of (B, 1, 28, 28) in [-1, 1]; the background (-1) fills the borders."""
    B = x.shape[0]
    angle = (torch.rand(B, generator=g) * 2 - 1) * math.radians(max_deg)
    scale = 1 + (torch.rand(B, generator=g) * 2 - 1) * max_scale
    shift = (torch.rand(B, 2, generator=g) * 2 - 1) * (2 * max_shift / 28)  # pixels -> [-1, 1] units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1


@torch.no_grad()
def accuracy(model: Classifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(labels), 1000):
        logits = model(to_unit_range(images[start : start + 1000]))
        correct += int((logits.argmax(1) == labels[start : start + 1000]).sum())
    return correct / len(labels)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def recipe_args(argv: list[str]) -> list[str]:
    """The command-line arguments without --out (where the files go does not change them)."""
    kept, skip = [], False
    for a in argv:
        if skip or a.startswith("--out="):
            skip = False
            continue
        if a == "--out":
            skip = True
            continue
        kept.append(a)
    return kept


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--channels", type=int, nargs=3, default=[32, 64, 128])
    p.add_argument("--feature-dim", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--rotate", type=float, default=10.0, help="max rotation (degrees)")
    p.add_argument("--scale", type=float, default=0.1, help="max relative scale change")
    p.add_argument("--shift", type=float, default=2.0, help="max shift (pixels)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu (the shipped recipe) or cuda, to try variants quickly")
    p.add_argument("--out", type=Path, default=None, help="write the weights and config here instead of the package")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True, warn_only=args.device != "cpu")
    device = torch.device(args.device)
    train, test = load_mnist("train"), load_mnist("test")
    images, labels = train.images.to(device), train.labels.to(device)
    model = Classifier(tuple(args.channels), args.feature_dim, args.dropout).to(device)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = len(labels) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch)
    g = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(labels), generator=g).to(device)
        total = 0.0
        for step in range(steps_per_epoch):
            idx = perm[step * args.batch_size : (step + 1) * args.batch_size]
            x = augment(to_unit_range(images[idx]).cpu(), g, args.rotate, args.scale, args.shift).to(device)
            loss = F.cross_entropy(model(x), labels[idx], label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
        acc = accuracy(model, test.images.to(device), test.labels.to(device))
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / steps_per_epoch:.4f}, "
              f"test accuracy {acc:.4f} ({time.perf_counter() - start:.0f}s)", flush=True)
    wall = time.perf_counter() - start
    model = model.cpu().eval()
    test_acc = accuracy(model, test.images, test.labels)
    train_acc = accuracy(model, train.images, train.labels)
    print(f"test accuracy {test_acc:.4f}, train accuracy {train_acc:.4f}, {wall:.0f}s")

    weights, config = (args.out / WEIGHTS.name, args.out / CONFIG.name) if args.out else (WEIGHTS, CONFIG)
    from safetensors.torch import save_file

    with atomic_path(weights) as tmp:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp))
    os.chmod(weights, 0o644)  # temp files are created private; package data is world-readable
    record = {
        "architecture": model.config,
        "test_accuracy": round(test_acc, 5),
        "train_accuracy": round(train_acc, 5),
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "recipe": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "out"},
        "command": shlex.join(["python", "scripts/train_classifier.py", *recipe_args(sys.argv[1:])]),
        "seed": args.seed,
        "epochs": args.epochs,
        "wall_time_s": round(wall, 1),
        "hardware": f"{cpu_name()}, {args.threads} threads" if args.device == "cpu" else args.device,
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }
    atomic_write_text(config, json.dumps(record, indent=2) + "\n")
    os.chmod(config, 0o644)
    print(f"wrote {weights} and {config}")


if __name__ == "__main__":
    main()

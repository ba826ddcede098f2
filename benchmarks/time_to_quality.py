"""Time to quality: the project's FID against wall-clock training time, mnistgan vs the reference recipe.

The reference is the popular MLP GAN recipe written the usual way (the
`ReferenceLoop` of benchmarks/throughput.py: DataLoader with per-sample
conversion, fp32, batch 128, two generator forwards per step), scored after
every epoch. mnistgan runs `mnistgan train` on the default conditional preset
with its default settings (the real Trainer.fit: checkpoints and sample grids
count as training time) and is scored after every epoch. Scoring time is not
counted as training time on either side; both are scored by the same FID
(mnistgan's classifier features, `--num` samples against the test set) and
mnistgan also by conditional accuracy. Both sides run under the same memory
allocator settings (`devices.keep_freed_memory`, which mnistgan's trainer applies).

    .venv/bin/python benchmarks/time_to_quality.py                       # 40 reference epochs (~15 min here)
    .venv/bin/python benchmarks/time_to_quality.py --reference-epochs 5

Prints both curves, the time each needs to reach the reference's final FID,
and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from mnistgan.config import resolve
from mnistgan.devices import keep_freed_memory
from mnistgan.data import to_uint8
from mnistgan.metrics.evaluation import compute_metrics
from mnistgan.nets import NUM_CLASSES
from mnistgan.presets import DEFAULT_PRESET, get_preset
from mnistgan.train.callbacks import Callback
from mnistgan.train.session import build_trainer

from throughput import ReferenceLoop  # noqa: E402  (same folder)


@torch.no_grad()
def fid_of(G, latent_dim: int, conditional: bool, num: int) -> tuple[float, float | None]:
    g = torch.Generator().manual_seed(12345)
    z = torch.randn(num, latent_dim, generator=g)
    labels = torch.arange(num) % NUM_CLASSES if conditional else torch.full((num,), -1)
    was = G.training
    G.eval()
    images = torch.cat([to_uint8(G(z[i:i + 500], labels[i:i + 500] if conditional else None).float())
                        for i in range(0, num, 500)])
    G.train(was)
    result = compute_metrics(images.numpy(), labels.numpy(), metrics=("fid", "cond_acc"))
    return result["fid"], result.get("cond_acc")


def reference_curve(epochs: int, num: int) -> list[tuple[float, float]]:
    ref = ReferenceLoop("mlp-gan")
    steps_per_epoch = len(ref.loader)
    curve, trained = [], 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        for _ in range(steps_per_epoch):
            ref.step()
        trained += time.perf_counter() - t0
        fid, _ = fid_of(ref.G, ref.cfg.latent_dim, False, num)
        curve.append((trained, fid))
        print(f"  reference epoch {epoch:3d}: {trained:7.1f} s  FID {fid:.3f}", flush=True)
    return curve


def mnistgan_curve(preset: str, epochs: int, num: int) -> list[tuple[float, float, float | None]]:
    """`mnistgan train --preset PRESET --epochs EPOCHS`, otherwise default settings (Trainer.fit,
    checkpoints and sample grids included), scored after every epoch; scoring is not training time.
    The default schedule has no decay, so the first epochs of a longer run are these very epochs."""
    cfg = resolve(preset, device="cpu", epochs=epochs)
    curve, scoring = [], 0.0

    class ScoreEpoch(Callback):
        def on_epoch_end(self, trainer, measured):
            nonlocal scoring
            t0 = time.perf_counter()
            fid, acc = fid_of(trainer.gan.G_ema, cfg.latent_dim, get_preset(preset).conditional, num)
            trained = t0 - started - scoring
            curve.append((trained, fid, acc))
            acc_s = f", conditional accuracy {acc:.1%}" if acc is not None else ""
            print(f"  {preset} epoch {trainer.progress.epoch:3d}: {trained:7.1f} s  FID {fid:.3f}{acc_s}", flush=True)
            scoring += time.perf_counter() - t0

    trainer = build_trainer(preset, None, dict(device="cpu", epochs=epochs), Path(tempfile.mkdtemp()), None, log=lambda m: None,
                            progress=False, extra_callbacks=[ScoreEpoch()])
    started = time.perf_counter()
    trainer.fit()
    return curve


def first_time_at(curve, target: float) -> float | None:
    return next((point[0] for point in curve if point[1] <= target), None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--reference-epochs", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=5, help="mnistgan's epochs (make run's schedule)")
    ap.add_argument("--target-s", type=float, default=120, help="the issue's time budget for mnistgan")
    ap.add_argument("--num", type=int, default=5000, help="samples per FID")
    args = ap.parse_args()
    keep_freed_memory()  # before either side allocates: the same allocator for both
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    torch.manual_seed(0)  # the reference's init, shuffling and noise
    print(f"reference recipe (mlp-gan, DataLoader, fp32, batch 128), {args.reference_epochs} epochs:")
    ref = reference_curve(args.reference_epochs, args.num)
    target = ref[-1][1]
    print(f"mnistgan train --preset {args.preset} --epochs {args.epochs} (otherwise default settings):")
    ours = mnistgan_curve(args.preset, args.epochs, args.num)
    t_ref, t_ours = first_time_at(ref, target), first_time_at(ours, target)
    print(f"target: the reference's FID after {args.reference_epochs} epochs = {target:.3f}")
    print(f"reference reaches it after {t_ref:.0f} s of training")
    if t_ours is None:
        print(f"mnistgan {args.preset} did not reach it (best FID {min(p[1] for p in ours):.3f})")
    else:
        acc = next(p[2] for p in ours if p[0] == t_ours)
        acc_s = f" with conditional accuracy {acc:.1%}" if acc is not None else ""
        print(f"mnistgan {args.preset} reaches it after {t_ours:.0f} s{acc_s}: {t_ref / t_ours:.1f}x sooner")
    within = [p for p in ours if p[0] <= args.target_s]
    if within:
        trained, fid, acc = within[-1]
        acc_s = f", conditional accuracy {acc:.1%}" if acc is not None else ""
        print(f"mnistgan {args.preset} at {trained:.0f} s (the last score within {args.target_s:.0f} s): FID {fid:.3f}{acc_s}")


if __name__ == "__main__":
    main()

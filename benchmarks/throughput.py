"""Training throughput: mnistgan's trainer against a reference loop written the usual way.

The reference is the popular MNIST GAN notebook's loop: a DataLoader over a
Dataset that converts each image on access (PIL -> float tensor -> normalize),
batch 128, fp32, separate D passes on real and fake, and a second generator
forward for the G step. Both sides train the same architecture with the same
objective; they run interleaved in one process so machine noise hits both, and
under the same memory allocator settings (`devices.keep_freed_memory`, which
mnistgan's trainer applies; the reference gains from it too).

    .venv/bin/python benchmarks/throughput.py                 # mlp-gan, dcgan, hinge-sn on CPU
    .venv/bin/python benchmarks/throughput.py --presets mlp-gan --steps 100 --rounds 5
    .venv/bin/python benchmarks/throughput.py --presets mlp-gan --profile      # plus the op profile
    .venv/bin/python benchmarks/throughput.py --whole-process --rounds 3       # one epoch, as processes

Prints images/s of each, the ratio, and achieved GFLOP/s of the mlp-gan step
against this machine's measured matmul peak (fp32 and bf16).

`--whole-process` times what a user waits for instead: `mnistgan train --preset mlp-gan --epochs 1`
(start-up, data, the epoch, the end-of-run evaluation, export, plots) against the reference notebook run as a
script for one epoch (`benchmarks/reference_notebook.py`: start-up, data, the epoch, its weights and a sample grid),
both as subprocesses, back to back, alternating, at the preset's batch and at the published 128.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mnistgan.config import resolve
from mnistgan.devices import keep_freed_memory
from mnistgan.data import DeviceBatches, load_mnist
from mnistgan.objectives import ObjectiveOptions, make_objective
from mnistgan.presets import discriminator_for, generator_for, get_preset
from mnistgan.train.loop import Trainer


NOTEBOOK_BATCH = 128  # the popular MLP GAN notebook's batch size


class PerSampleMNIST(Dataset):
    """torchvision-style: each item is converted through PIL on access."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i], mode="L")
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).unsqueeze(0)  # ToTensor
        return (x - 0.5) / 0.5, int(self.labels[i])  # Normalize((0.5,), (0.5,))


class NotebookDiscriminator(nn.Module):
    """The popular notebook's MLP discriminator, written as it is there (nn.Dropout and all):
    the same layers as mnistgan's `mlp-gan` D, 1,460,225 parameters."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(256, 1),
        )

    def forward(self, x, labels=None):
        return self.net(x.flatten(1)).squeeze(1)


class ReferenceLoop:
    def __init__(self, preset_name: str, batch_size: int | None = None):
        # The notebook's batch 128 for mlp-gan (mnistgan's preset uses 512); the preset's for the DCGANs.
        default = NOTEBOOK_BATCH if preset_name == "mlp-gan" else None
        cfg = resolve(preset_name, batch_size=batch_size or default)
        p = get_preset(preset_name)
        self.cfg, self.conditional = cfg, p.conditional
        self.G = generator_for(p, cfg.latent_dim, cfg.g_width)
        self.D = NotebookDiscriminator() if preset_name == "mlp-gan" else discriminator_for(p, cfg.d_width)
        self.obj = make_objective(p.objective, ObjectiveOptions(label_smoothing=cfg.label_smoothing))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        train = load_mnist("train")
        ds = PerSampleMNIST(train.images.numpy(), train.labels.numpy())
        self.loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
        self.it = iter(self.loader)

    def batch(self):
        try:
            return next(self.it)
        except StopIteration:
            self.it = iter(self.loader)
            return next(self.it)

    def step(self):
        x, y = self.batch()
        y = y if self.conditional else None
        B, zdim = x.shape[0], self.cfg.latent_dim
        self.opt_d.zero_grad()
        fake = self.G(torch.randn(B, zdim), y)  # first generator forward
        loss_d = self.obj.d_loss(self.D(x, y), self.D(fake.detach(), y))
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        fake = self.G(torch.randn(B, zdim), y)  # second generator forward, as in the notebook
        loss_g = self.obj.g_loss(self.D(fake, y))
        loss_g.backward()
        self.opt_g.step()
        return B


class MnistganLoop:
    """mnistgan's trainer stepping as `fit` does (`Trainer.train_batch`), over endless epochs."""

    def __init__(self, preset_name: str, device: str, precision: str, train=None):
        cfg = resolve(preset_name, device=device, precision=precision)
        self.trainer = Trainer(cfg, Path(tempfile.mkdtemp()), log=lambda m: None, progress=False)
        train = train if train is not None else load_mnist("train").to(self.trainer.device)
        self.batches = DeviceBatches(train, cfg.batch_size, self.trainer.data_gen)
        self.indices = self.batches.epoch_indices()
        self.n_critic = cfg.n_critic

    def step(self):
        for _ in range(self.n_critic):  # one generator step, like the reference's step
            idx = next(self.indices, None)
            if idx is None:
                self.indices = self.batches.epoch_indices()
                idx = next(self.indices)
            self.trainer.train_batch(self.batches, idx)
        return self.n_critic * self.batches.batch_size


def timed(loop, steps: int, sync) -> float:
    sync()
    t0 = time.perf_counter()
    images = sum(loop.step() for _ in range(steps))
    sync()
    return images / (time.perf_counter() - t0)


def matmul_peak(dtype, device: str, n: int = 2048, reps: int = 5, trials: int = 3) -> float:
    """GFLOP/s of n^3 products: the best of `trials` timings, since a busy moment only slows one down."""
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(2):
        a @ b
    best = 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        if device == "cuda":
            torch.cuda.synchronize()
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9)
    return best


G_LAYERS = [100 * 256, 256 * 512, 512 * 1024, 1024 * 784]  # mlp-gan multiply-adds per image, per layer
D_LAYERS = [784 * 1024, 1024 * 512, 512 * 256, 256 * 1]


def mlp_gan_flops_per_image(reference: bool) -> float:
    """Matmul FLOPs per image of one mlp-gan step; biases and activations ignored.

    A layer's forward is one unit; its backward is a weight-gradient unit plus an
    input-gradient unit, skipped where the input needs no gradient (real images, z)
    and, in mnistgan, for D's weights in the G step (frozen there). The reference
    also runs G a second time and computes D's unused weight gradients in the G step.
    """
    g, d = sum(G_LAYERS), sum(D_LAYERS)
    macs = (g  # G forward
            + 2 * d + 2 * d + 2 * (d - D_LAYERS[0])  # D step on [real; fake]: forward, weight grads, input grads
            + d + d  # G step through D: forward, input grads
            + g + (g - G_LAYERS[0]))  # G backward: weight grads, input grads
    if reference:
        macs += g + d
    return 2 * macs


def print_profile(loop, steps: int) -> None:
    """Where a step's time goes, op by op: what to optimize next."""
    from torch.profiler import profile

    with profile() as prof:
        for _ in range(steps):
            loop.step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def whole_process(rounds: int) -> None:
    """Wall-clock seconds of one epoch as a user runs it, both sides as fresh processes, alternating."""
    here = Path(__file__).resolve()
    mnistgan = Path(sys.executable).with_name("mnistgan")
    for batch in (None, NOTEBOOK_BATCH):
        ours_batch = batch or resolve("mlp-gan").batch_size
        ref_times, our_times = [], []
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as tmp:
                ref_times.append(_timed_process([sys.executable, str(here.with_name("reference_notebook.py")),
                                                 "--epochs", "1", "--batch-size", str(NOTEBOOK_BATCH),
                                                 "--out", f"{tmp}/ref"]))
                ours = [str(mnistgan), "train", "--preset", "mlp-gan", "--epochs", "1", "--out", f"{tmp}/ours",
                        "--no-progress"] + (["--batch-size", str(batch)] if batch else [])
                our_times.append(_timed_process(ours))
        r, o = statistics.median(ref_times), statistics.median(our_times)
        print(f"mlp-gan, one epoch as a process: reference script (batch {NOTEBOOK_BATCH}) {r:5.1f} s | "
              f"mnistgan train (batch {ours_batch}) {o:5.1f} s | ratio {r / o:4.2f}x "
              f"(medians of {rounds}; all: {', '.join(f'{t:.1f}' for t in ref_times)} | "
              f"{', '.join(f'{t:.1f}' for t in our_times)})", flush=True)


def _timed_process(command: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--whole-process", action="store_true",
                    help="time one epoch of each side as a process (benchmarks/reference_notebook.py vs mnistgan train)")
    ap.add_argument("--presets", nargs="+", default=["mlp-gan", "dcgan", "hinge-sn"])
    ap.add_argument("--steps", type=int, default=60, help="generator steps per timed window")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved windows per side")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--profile", action="store_true", help="also print torch.profiler's op table of mnistgan's steps")
    args = ap.parse_args()
    if args.whole_process:
        return whole_process(args.rounds)
    keep_freed_memory()  # before either side allocates: the same allocator for both
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    peak32 = matmul_peak(torch.float32, "cpu")
    peak16 = matmul_peak(torch.bfloat16, "cpu")
    print(f"CPU matmul peak (2048^3): fp32 {peak32:,.0f} GFLOP/s, bf16 {peak16:,.0f} GFLOP/s")
    for name in args.presets:
        ref, ours = ReferenceLoop(name), MnistganLoop(name, args.device, args.precision)
        ref.step(), ours.step()  # warm up both
        ref_rates, our_rates = [], []
        for _ in range(args.rounds):
            ref_rates.append(timed(ref, args.steps, lambda: None))
            our_rates.append(timed(ours, args.steps, sync))
        r, o = statistics.median(ref_rates), statistics.median(our_rates)
        print(f"{name:9s} reference (DataLoader, fp32, batch {ref.cfg.batch_size}): {r:8,.0f} img/s | "
              f"mnistgan ({ours.trainer.precision}, batch {ours.trainer.cfg.batch_size}): {o:8,.0f} img/s | "
              f"ratio {o / r:5.2f}x")
        if args.profile:
            print_profile(ours, args.steps)
        if name == "mlp-gan":
            fr, fo = mlp_gan_flops_per_image(reference=True), mlp_gan_flops_per_image(reference=False)
            print(f"          matmul work per image: reference {fr / 1e6:.1f} MFLOP, mnistgan {fo / 1e6:.1f} MFLOP; "
                  f"achieved: reference {r * fr / 1e9:,.0f} GFLOP/s ({r * fr / 1e9 / peak32:.0%} of fp32 peak), "
                  f"mnistgan {o * fo / 1e9:,.0f} GFLOP/s ({o * fo / 1e9 / peak16:.0%} of bf16 peak)")


if __name__ == "__main__":
    main()

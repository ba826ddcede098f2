"""The popular MNIST GAN notebook's training, as a script: what `benchmarks/throughput.py --whole-process`
times against `mnistgan train --preset mlp-gan --epochs 1`.

Written the way the notebook is: a Dataset that converts each image through PIL on access
(ToTensor + Normalize), a shuffling DataLoader, an MLP G and D (the same layers as mnistgan's
`mlp-gan`), BCE on sigmoid outputs, Adam 2e-4, fp32, a second generator forward for the G step;
after the epochs, the generator's weights and an 8 x 8 sample grid are saved. It imports only
what a notebook would (torch, NumPy, PIL), plus mnistgan's MNIST reader for the raw files.

    .venv/bin/python benchmarks/reference_notebook.py --epochs 1 --batch-size 128 --out /tmp/ref
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mnistgan.data import load_mnist

LATENT = 100


class MNISTDataset(Dataset):
    def __init__(self, images: np.ndarray):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i], mode="L")
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).unsqueeze(0)  # ToTensor
        return (x - 0.5) / 0.5  # Normalize((0.5,), (0.5,))


def generator() -> nn.Module:
    return nn.Sequential(
        nn.Linear(LATENT, 256), nn.LeakyReLU(0.2), nn.BatchNorm1d(256),
        nn.Linear(256, 512), nn.LeakyReLU(0.2), nn.BatchNorm1d(512),
        nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.BatchNorm1d(1024),
        nn.Linear(1024, 784), nn.Tanh())


def discriminator() -> nn.Module:
    return nn.Sequential(
        nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(256, 1), nn.Sigmoid())


def train(epochs: int, batch_size: int, out: Path) -> None:
    loader = DataLoader(MNISTDataset(load_mnist("train").images.numpy()), batch_size=batch_size, shuffle=True,
                        drop_last=True)
    G, D = generator(), discriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    for epoch in range(epochs):
        for real in loader:
            real = real.view(real.shape[0], -1)
            ones, zeros = torch.ones(real.shape[0], 1), torch.zeros(real.shape[0], 1)
            opt_d.zero_grad()
            fake = G(torch.randn(real.shape[0], LATENT))
            loss_d = bce(D(real), ones) + bce(D(fake.detach()), zeros)
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            loss_g = bce(D(G(torch.randn(real.shape[0], LATENT))), ones)
            loss_g.backward()
            opt_g.step()
        print(f"epoch {epoch + 1}: loss_d {loss_d.item():.3f} loss_g {loss_g.item():.3f}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(G.state_dict(), out / "generator.pth")
    G.eval()
    with torch.no_grad():
        digits = ((G(torch.randn(64, LATENT)) + 1) * 127.5).clamp(0, 255).to(torch.uint8).view(8, 8, 28, 28).numpy()
    Image.fromarray(np.vstack([np.hstack(list(row)) for row in digits])).save(out / "samples.png")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--out", type=Path, default=Path("runs/reference-notebook"))
    args = ap.parse_args()
    train(args.epochs, args.batch_size, args.out)

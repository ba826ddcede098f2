"""The classic MLP GAN for MNIST, layer for layer as the widely used original.

Parameter counts: G 1,489,936 and D 1,460,225 at latent_dim=100, num_classes=0.
The conditional variant concatenates a label embedding to z (G) and uses a
projection term (D): `D(x, y) = f(h) + <embed(y), h>` (Miyato & Koyama 2018).

The generator also comes in the plainer form of many notebooks (ReLU, no BatchNorm:
`activation="relu", batch_norm=False`, the `mlp-relu` architecture), so that their
weights can be imported (`mnistgan import --format mlp-gan`).
"""

from __future__ import annotations

import torch
from torch import nn

from mnistgan.nets.layers import FastDropout


ACTIVATIONS = {"leaky_relu": lambda: nn.LeakyReLU(0.2), "relu": nn.ReLU}


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int = 100, num_classes: int = 0, width: int = 256,
                 activation: str = "leaky_relu", batch_norm: bool = True):
        super().__init__()
        self.embed = nn.Embedding(num_classes, latent_dim) if num_classes else None
        in_dim = latent_dim * (2 if num_classes else 1)
        widths = [width, width * 2, width * 4]
        layers: list[nn.Module] = []
        for w in widths:
            # The original applies LeakyReLU before BatchNorm; kept for parity.
            layers += [nn.Linear(in_dim, w), ACTIVATIONS[activation]()] + ([nn.BatchNorm1d(w)] if batch_norm else [])
            in_dim = w
        layers += [nn.Linear(in_dim, 28 * 28), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_embedded(z, self.embed(labels) if self.embed is not None else None)

    def forward_embedded(self, z: torch.Tensor, label_embedding: torch.Tensor | None) -> torch.Tensor:
        """From a label *embedding*, so interpolation can blend between digits."""
        if label_embedding is not None:
            z = torch.cat([z, label_embedding], dim=1)  # (B, 2*latent)
        return self.net(z).view(-1, 1, 28, 28)  # (B, 1, 28, 28)


class MLPDiscriminator(nn.Module):
    """Returns logits (B,); the original's final sigmoid lives in the BCE loss."""

    def __init__(self, num_classes: int = 0, width: int = 256, dropout: float = 0.3):
        super().__init__()
        widths = [width * 4, width * 2, width]
        layers: list[nn.Module] = []
        in_dim = 28 * 28
        for w in widths:
            layers += [nn.Linear(in_dim, w), nn.LeakyReLU(0.2), FastDropout(dropout)]
            in_dim = w
        self.features = nn.Sequential(*layers)  # (B, width)
        self.head = nn.Linear(in_dim, 1)
        self.project = nn.Embedding(num_classes, in_dim) if num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x.flatten(1))
        out = self.head(h).squeeze(1)
        if self.project is not None:
            out = out + (self.project(labels) * h).sum(1)
        return out

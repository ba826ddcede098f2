"""The classic MLP GAN for MNIST, layer for layer as the widely used original.

Parameter counts: G 1,489,936 and D 1,460,225 at latent_dim=100, num_classes=0.
The conditional variant concatenates a label embedding to z (G) and uses a
projection term (D): `D(x, y) = f(h) + <embed(y), h>` (Miyato & Koyama 2018).
"""

from __future__ import annotations

import functools

import torch
from torch import nn


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int = 100, num_classes: int = 0, width: int = 256):
        super().__init__()
        self.embed = nn.Embedding(num_classes, latent_dim) if num_classes else None
        in_dim = latent_dim * (2 if num_classes else 1)
        widths = [width, width * 2, width * 4]
        layers: list[nn.Module] = []
        for w in widths:
            # The original applies LeakyReLU before BatchNorm; kept for parity.
            layers += [nn.Linear(in_dim, w), nn.LeakyReLU(0.2), nn.BatchNorm1d(w)]
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


class FastDropout(nn.Dropout):
    """`nn.Dropout` whose CPU mask costs a fraction as much: the mask comes from 8-bit uniform
    integers, eight per 64-bit random draw, instead of one float draw per element.

    On a CPU, drawing the dropout masks was 16% of an mlp-gan step. The drop probability is
    `p` rounded to a multiple of 1/256 (0.3 -> 77/256 = 0.3008), and kept activations are scaled
    by the exact inverse of the keep probability, so the layer stays unbiased. Other devices draw
    masks fast already and use `nn.Dropout`'s.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        threshold = round(self.p * 256)
        if not self.training or x.device.type != "cpu" or not 0 < threshold < 256 or x.dtype not in MASK_BITS:
            return super().forward(x)
        n = x.numel()
        # Every bit of an int64 drawn from the full range is uniform: as eight uint8 lanes, each lane
        # is uniform on [0, 255]; lanes >= threshold are kept, a share of 1 - threshold / 256.
        lanes = torch.empty((n + 7) // 8, dtype=torch.int64).random_(-(2**63), 2**63 - 1).view(torch.uint8)[:n]
        # keep is 1 or 0 by clamping, and the mask is keep times the scale's bit pattern, read as
        # x's dtype: on a CPU a uint8 comparison and a bool-to-float cast are each ten times slower.
        keep = lanes.clamp(threshold - 1, threshold).sub_(threshold - 1)
        int_type = MASK_BITS[x.dtype]
        mask = keep.to(int_type).mul_(_scale_bits(threshold, x.dtype)).view(x.dtype).view(x.shape)
        return x * mask  # one multiply on the autograd graph, so one in backward


# Same-width integer types: a float mask is built from its bit pattern.
MASK_BITS = {torch.bfloat16: torch.int16, torch.float16: torch.int16, torch.float32: torch.int32}


@functools.cache
def _scale_bits(threshold: int, dtype: torch.dtype) -> int:
    """The bit pattern of the keep scale 256 / (256 - threshold) in `dtype`, as an integer."""
    return torch.tensor(256 / (256 - threshold), dtype=dtype).view(MASK_BITS[dtype]).item()


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

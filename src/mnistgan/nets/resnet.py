"""R3GAN's modern residual G and D (Huang et al. 2024, "The GAN is dead; long live the GAN!"), scaled to 28x28.

No normalization layers anywhere: stability comes from the objective (relativistic pairing loss
with R1 and R2 penalties) and from the initialization. Each residual block is an inverted
bottleneck, 1x1 expand -> grouped 3x3 -> 1x1 project, whose last layer starts at zero, so every
block starts as the identity ("fix-up" init); the other layers are scaled by the number of blocks.

    G: z (+ digit embedding) -> basis (4w, 7, 7) -> blocks -> up -> (2w, 14, 14) -> blocks
       -> up -> (w, 28, 28) -> blocks -> 1x1 conv -> tanh -> (1, 28, 28)
    D: (1, 28, 28) -> 1x1 conv -> (w, 28, 28) -> blocks -> down -> (2w, 14, 14) -> blocks
       -> down -> (4w, 7, 7) -> blocks -> depthwise 7x7 basis -> linear -> logit
       conditional: the logit is a projection <features, embed(digit)> (as R3GAN's reference code)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mnistgan.nets.layers import OneHot

LEAK = 0.2
ACTIVATION_GAIN = math.sqrt(2 / (1 + LEAK**2))  # keeps a leaky ReLU's output at unit variance
GROUP_CHANNELS = 16  # channels per group of the grouped 3x3 convolutions (R3GAN's cardinality)
EXPANSION = 2


def msr_init(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    """He-style init with a gain; zero gain makes the layer start at zero."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0, gain / math.sqrt(fan_in))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, total_blocks: int):
        super().__init__()
        wide = channels * EXPANSION
        gain = ACTIVATION_GAIN * total_blocks ** (-1 / 4)  # R3GAN: variance scaling over 3 layers per block
        self.expand = msr_init(nn.Conv2d(channels, wide, 1), gain)
        self.mix = msr_init(nn.Conv2d(wide, wide, 3, padding=1, groups=max(1, wide // GROUP_CHANNELS)), gain)
        self.project = msr_init(nn.Conv2d(wide, channels, 1, bias=False), 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.expand(x), LEAK)
        y = F.leaky_relu(self.mix(y), LEAK)
        return x + self.project(y)


def _stage(channels: int, blocks: int, total_blocks: int) -> nn.Sequential:
    return nn.Sequential(*[ResidualBlock(channels, total_blocks) for _ in range(blocks)])


class ResNetGenerator(nn.Module):
    def __init__(self, latent_dim: int = 64, num_classes: int = 10, width: int = 32, blocks: int = 1):
        super().__init__()
        c7, c14, c28 = 4 * width, 2 * width, width
        total = 3 * blocks
        self.embed = OneHot(num_classes) if num_classes else None
        self.embed_code = msr_init(nn.Linear(num_classes, latent_dim, bias=False)) if num_classes else None
        in_dim = latent_dim * (2 if num_classes else 1)
        self.basis = nn.Parameter(torch.randn(c7, 7, 7))  # R3GAN's generative basis: a learned 7x7 map per channel
        self.basis_scale = msr_init(nn.Linear(in_dim, c7, bias=False))
        self.stage7 = _stage(c7, blocks, total)
        self.to14 = msr_init(nn.Conv2d(c7, c14, 1, bias=False))
        self.stage14 = _stage(c14, blocks, total)
        self.to28 = msr_init(nn.Conv2d(c14, c28, 1, bias=False))
        self.stage28 = _stage(c28, blocks, total)
        self.to_image = msr_init(nn.Conv2d(c28, 1, 1))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_embedded(z, self.embed(labels) if self.embed is not None else None)

    def forward_embedded(self, z: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        if code is not None:
            z = torch.cat([z, self.embed_code(code.to(z.dtype))], 1)  # (B, 2 latent)
        x = self.basis[None] * self.basis_scale(z)[:, :, None, None]  # (B, 4w, 7, 7)
        x = self.stage7(x)
        x = self.stage14(_up(self.to14(x)))  # (B, 2w, 14, 14)
        x = self.stage28(_up(self.to28(x)))  # (B, w, 28, 28)
        return torch.tanh(self.to_image(x))


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class ResNetDiscriminator(nn.Module):
    """Realism logits (B,); conditional: a projection of the final features onto the digit's embedding."""

    def __init__(self, num_classes: int = 0, width: int = 32, blocks: int = 1, **_):
        super().__init__()
        c28, c14, c7 = width, 2 * width, 4 * width
        total = 3 * blocks
        self.num_classes = num_classes
        self.from_image = msr_init(nn.Conv2d(1, c28, 1))
        self.stage28 = _stage(c28, blocks, total)
        self.to14 = msr_init(nn.Conv2d(c28, c14, 1, bias=False))
        self.stage14 = _stage(c14, blocks, total)
        self.to7 = msr_init(nn.Conv2d(c14, c7, 1, bias=False))
        self.stage7 = _stage(c7, blocks, total)
        self.basis = msr_init(nn.Conv2d(c7, c7, 7, groups=c7, bias=False))  # depthwise 7x7 -> (B, 4w, 1, 1)
        out_dim = c7 if num_classes else 1
        self.head = msr_init(nn.Linear(c7, out_dim, bias=False))
        self.embed = msr_init(nn.Linear(num_classes, c7, bias=False), 1 / math.sqrt(c7)) if num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.stage28(self.from_image(x))  # (B, w, 28, 28)
        h = self.stage14(self.to14(F.avg_pool2d(h, 2)))  # (B, 2w, 14, 14)
        h = self.stage7(self.to7(F.avg_pool2d(h, 2)))  # (B, 4w, 7, 7)
        h = self.head(self.basis(h).flatten(1))  # (B, 4w) or (B, 1)
        if self.embed is None:
            return h.squeeze(1)
        code = F.one_hot(labels, self.num_classes).to(h.dtype)
        return (h * self.embed(code)).sum(1)

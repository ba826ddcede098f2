"""Layers the architectures share: label codes, label-conditioned BatchNorm, minibatch-std, a fast dropout."""

from __future__ import annotations

import functools

import torch
from torch import nn


class OneHot(nn.Module):
    """Labels as one-hot vectors. A learned embedding as wide as z let G lean on the label
    and ignore the noise (one digit per class); a unit-norm one-hot beside z does not."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.num_classes = num_classes

    @property
    def weight(self) -> torch.Tensor:  # (classes, classes): row d is digit d's code, for interpolation
        return torch.eye(self.num_classes)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(labels, self.num_classes).float()


class LabelNorm(nn.Module):
    """BatchNorm whose scale and shift are picked by the digit (conditional BatchNorm,
    de Vries et al. 2017, as in SN-GAN and BigGAN generators).

    The label code is one-hot, or a blend of two digits' codes when interpolating, so the
    per-digit scale and shift are linear maps of it. They start at zero: plain BatchNorm.
    """

    def __init__(self, features: int, num_classes: int, norm: type[nn.Module]):
        super().__init__()
        self.norm = norm(features, affine=False)
        self.scale = nn.Linear(num_classes, features, bias=False)
        self.shift = nn.Linear(num_classes, features, bias=False)
        nn.init.zeros_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        shape = (-1, h.shape[1]) + (1,) * (h.dim() - 2)  # broadcast over any spatial dims
        return self.norm(h) * (1 + self.scale(code)).view(shape) + self.shift(code).view(shape)


class MinibatchStd(nn.Module):
    """Append the features' standard deviation over groups of `group` samples as one channel.

    Lets D see a batch's diversity, so a G that draws one digit per class is
    caught (Karras et al. 2018). Groups are consecutive samples, so a fused
    [real; fake] batch never mixes the two halves when each half divides by `group`.
    """

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = group

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        B, C, H, W = h.shape
        g = self.group if B % self.group == 0 else 1
        x = h.float().reshape(B // g, g, C * H * W)
        # Written out rather than Tensor.std(1): on a CPU that strided reduction took a third of a cdcgan step.
        std = ((x - x.mean(1, keepdim=True)).square().mean(1) + 1e-8).sqrt()  # (B/g, C*H*W); ~0 when g == 1
        stat = std.mean(1).to(h.dtype)[:, None, None, None]  # (B/g, 1, 1, 1)
        stat = stat.repeat_interleave(g, 0).expand(B, 1, H, W)
        return torch.cat([h, stat], 1)


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

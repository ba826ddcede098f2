"""A StyleGAN2-style generator scaled for 28x28 digits (Karras et al. 2019, 2020).

    z (B, latent) --+
                    +-- mapping MLP --> w (B, w_dim)         the digit enters here, beside z
    digit (B,) -----+                   |  truncation: w_avg + psi * (w - w_avg)
                                        v  one w per layer: ws (B, NUM_WS, w_dim), mixed across two z's
    learned constant (4w, 7, 7)
      -> modulated conv 3x3 (ws[0]) + noise              (4w, 7, 7)    --> to-gray (ws[1])
      -> up x2, modulated conv (ws[1]) + noise, conv (ws[2]) (2w, 14, 14) --> to-gray (ws[3]) + up(skip)
      -> up x2, modulated conv (ws[3]) + noise, conv (ws[4])  (w, 28, 28) --> to-gray (ws[5]) + up(skip)
      -> tanh                                              (1, 28, 28)

Modulation scales each input channel by a style from w; demodulation rescales each output
channel to unit variance (computed from the weights, not the activations), which replaces
AdaIN's instance normalization. Per-pixel noise inputs add stochastic detail: fresh noise in
training, a fixed per-layer pattern in eval mode so a seed always draws the same digit.
Layers at 7x7 and 14x14 set the digit's shape ("coarse" styles); 28x28 sets stroke and texture.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mnistgan.nets.layers import OneHot

NUM_WS = 6  # ws consumed by the synthesis network, in order (see the diagram above)
COARSE_WS = 3  # ws[:3]: the 7x7 and first 14x14 layers; mixing from here on changes only finer styles
W_AVG_BETA = 0.995  # running-mean decay of w, per training forward


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(1, keepdim=True) + eps).rsqrt()


class EqualLinear(nn.Module):
    """A linear layer with equalized learning rate: weights stored as N(0, 1) / lr_mul and scaled at run time."""

    def __init__(self, in_dim: int, out_dim: int, bias_init: float = 0.0, lr_mul: float = 1.0, activate: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale, self.lr_mul, self.activate = lr_mul / math.sqrt(in_dim), lr_mul, activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.activate else x


class MappingNetwork(nn.Module):
    """(z, digit code) -> w: both normalized, concatenated, through `layers` equalized linears (lr x 0.01)."""

    def __init__(self, latent_dim: int, num_classes: int, w_dim: int, layers: int = 4):
        super().__init__()
        self.embed_code = EqualLinear(num_classes, w_dim) if num_classes else None
        in_dim = latent_dim + (w_dim if num_classes else 0)
        self.net = nn.Sequential(*[EqualLinear(in_dim if i == 0 else w_dim, w_dim, lr_mul=0.01, activate=True)
                                   for i in range(layers)])

    def forward(self, z: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        x = normalize_2nd_moment(z)
        if self.embed_code is not None:
            x = torch.cat([x, normalize_2nd_moment(self.embed_code(code.to(z.dtype)))], 1)
        return self.net(x)  # (B, w_dim)


class ModulatedConv(nn.Module):
    """A conv whose input channels are scaled by a style of w, with weight demodulation.

    Written as StyleGAN2's non-fused path: scale x, convolve with the shared weight, scale the
    output by the demodulation coefficients. The same function as per-sample weights, but one
    ordinary batched convolution, which a CPU runs far faster than B grouped ones.
    """

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, kernel: int = 3, demodulate: bool = True,
                 upsample: bool = False, resolution: int = 7, noise: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)  # styles start at 1: plain convolution
        self.scale = 1 / math.sqrt(in_ch * kernel * kernel)
        self.demodulate, self.upsample, self.padding = demodulate, upsample, kernel // 2
        self.noise_strength = nn.Parameter(torch.zeros(())) if noise else None
        if noise:  # the eval-mode noise pattern: fixed, so sampling is deterministic
            self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)  # (B, in)
        weight = self.weight * self.scale
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.conv2d(x * styles[:, :, None, None].to(x.dtype), weight.to(x.dtype), padding=self.padding)
        if self.demodulate:  # 1 / ||w * s|| per sample and output channel
            d = (styles.square() @ weight.square().sum((2, 3)).T + 1e-8).rsqrt()  # (B, out)
            x = x * d[:, :, None, None].to(x.dtype)
        if self.noise_strength is not None:
            noise = torch.randn_like(x[:, :1]) if self.training else self.noise_const.to(x.dtype)
            x = x + noise * self.noise_strength.to(x.dtype)
        x = x + self.bias[None, :, None, None].to(x.dtype)
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.demodulate else x


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim: int, width: int):
        super().__init__()
        c7, c14, c28 = 4 * width, 2 * width, width
        self.const = nn.Parameter(torch.randn(1, c7, 7, 7))
        self.conv7 = ModulatedConv(c7, c7, w_dim, resolution=7)
        self.up14 = ModulatedConv(c7, c14, w_dim, upsample=True, resolution=14)
        self.conv14 = ModulatedConv(c14, c14, w_dim, resolution=14)
        self.up28 = ModulatedConv(c14, c28, w_dim, upsample=True, resolution=28)
        self.conv28 = ModulatedConv(c28, c28, w_dim, resolution=28)
        self.gray7, self.gray14, self.gray28 = (ModulatedConv(c, 1, w_dim, kernel=1, demodulate=False, noise=False)
                                                for c in (c7, c14, c28))
        with torch.no_grad():  # three unit-variance skips would start the tanh saturated: start them small
            for gray in (self.gray7, self.gray14, self.gray28):
                gray.weight.mul_(0.2)

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        """ws (B, NUM_WS, w_dim) -> images (B, 1, 28, 28) in [-1, 1]."""
        x = self.conv7(self.const.expand(ws.shape[0], -1, -1, -1), ws[:, 0])  # (B, 4w, 7, 7)
        img = self.gray7(x, ws[:, 1])  # (B, 1, 7, 7)
        x = self.conv14(self.up14(x, ws[:, 1]), ws[:, 2])  # (B, 2w, 14, 14)
        img = _up(img) + self.gray14(x, ws[:, 3])
        x = self.conv28(self.up28(x, ws[:, 3]), ws[:, 4])  # (B, w, 28, 28)
        img = _up(img) + self.gray28(x, ws[:, 5])
        return torch.tanh(img)


def _up(img: torch.Tensor) -> torch.Tensor:
    return F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)


class StyleGenerator(nn.Module):
    """G(z, labels): mapping, then synthesis; style mixing in training; truncation and mixing for sampling."""

    def __init__(self, latent_dim: int = 64, num_classes: int = 10, width: int = 32, w_dim: int = 128,
                 mixing_prob: float = 0.9):
        super().__init__()
        self.latent_dim, self.num_classes, self.mixing_prob = latent_dim, num_classes, mixing_prob
        self.embed = OneHot(num_classes) if num_classes else None
        self.mapping = MappingNetwork(latent_dim, num_classes, w_dim)
        self.synthesis = SynthesisNetwork(w_dim, width)
        self.register_buffer("w_avg", torch.zeros(max(num_classes, 1), w_dim))  # per digit, for truncation

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_embedded(z, self.embed(labels) if self.embed is not None else None)

    def forward_embedded(self, z: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        w = self.map(z, code)
        ws = w[:, None].expand(-1, NUM_WS, -1)
        if self.training and self.mixing_prob > 0:
            ws = self._mix_regularize(ws, code)
        return self.synthesis(ws)

    def map(self, z: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        """z -> w; in training also moves the running mean of w (per digit) that truncation aims at."""
        w = self.mapping(z, code)
        if self.training:
            self._track_w_avg(w.detach().float(), code)
        return w

    def _track_w_avg(self, w: torch.Tensor, code: torch.Tensor | None) -> None:
        with torch.no_grad():
            share = code.float() if code is not None else torch.ones(len(w), 1, device=w.device)  # (B, classes)
            counts = share.sum(0)  # (classes,)
            means = (share.T @ w) / counts.clamp(min=1)[:, None]  # (classes, w_dim)
            seen = (counts > 0)[:, None]
            self.w_avg.copy_(torch.where(seen, self.w_avg.lerp(means, 1 - W_AVG_BETA), self.w_avg))

    def _mix_regularize(self, ws: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        """Style-mixing regularization: for a share of the batch, later layers take the w of another z,
        so the network cannot assume adjacent styles are correlated."""
        B = ws.shape[0]
        w2 = self.mapping(torch.randn(B, self.latent_dim, device=ws.device, dtype=ws.dtype), code)
        cutoff = torch.randint(1, NUM_WS, (B, 1), device=ws.device)
        mixed = torch.rand(B, 1, device=ws.device) < self.mixing_prob
        layer = torch.arange(NUM_WS, device=ws.device)[None]
        take_second = (mixed & (layer >= cutoff))[:, :, None]  # (B, NUM_WS, 1)
        return torch.where(take_second, w2[:, None].expand_as(ws), ws)

    def truncate(self, w: torch.Tensor, code: torch.Tensor | None, psi: float) -> torch.Tensor:
        """w pulled toward the running mean of w of its digit: psi = 1 is no change, 0 the mean digit."""
        avg = (code.to(w.dtype) @ self.w_avg.to(w.dtype)) if code is not None else self.w_avg.to(w.dtype)
        return avg + psi * (w - avg)

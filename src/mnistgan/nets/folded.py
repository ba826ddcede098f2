"""The DCGAN generators folded for generation: the same function as the trained module, fewer and faster ops.

Training needs BatchNorm, the label's one-hot code and PyTorch's generic transposed convolution; drawing
digits from a frozen generator needs none of them:

- **BatchNorm folds into a per-digit scale and shift.** In eval mode BatchNorm is `(h - mean) / std`, and
  LabelNorm then multiplies by `1 + S[digit]` and adds `T[digit]`; the one-hot code's share of the first
  Linear is one column per digit. So each normalized layer is `h * scale[digit] + shift[digit]`, with
  tables of (classes, features) computed once (one row for an unconditional generator).
- **The 7 -> 14 transposed convolution runs channels-last**, where oneDNN's kernel is about twice as fast.
- **The 14 -> 28 transposed convolution to one channel is a sub-pixel convolution**: each output pixel
  (2i + a, 2j + b) reads a 2x2 neighbourhood of the input with the kernel taps of its phase (a, b), so a
  3x3 convolution to 4 channels (one per phase) followed by `pixel_shuffle(2)` computes it. PyTorch's
  kernel for a one-channel transposed convolution is slow (two to three times this on a CPU).

The folded sums run in a different order, so images agree with the module's to float rounding (about 1e-6;
`tests/nets/test_folded.py`), not bit for bit. Only digits, not blended label codes, go through here:
interpolation uses the module itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mnistgan.nets.dcgan import DCGANGenerator, LabelNormDCGANGenerator


def _inverse_std(norm: nn.modules.batchnorm._BatchNorm) -> torch.Tensor:
    return torch.rsqrt(norm.running_var + norm.eps)


def _batchnorm_tables(norm: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, F) scale and shift of a plain eval-mode BatchNorm (affine or not)."""
    scale = _inverse_std(norm)
    if norm.affine:
        scale = scale * norm.weight
    shift = -norm.running_mean * scale + (norm.bias if norm.affine else 0)
    return scale[None], shift[None]


def _label_norm_tables(label_norm) -> tuple[torch.Tensor, torch.Tensor]:
    """(classes, F) scale and shift of a LabelNorm for each digit: row d is digit d's one-hot code."""
    inv = _inverse_std(label_norm.norm)
    scale = (1 + label_norm.scale.weight.t()) * inv  # (classes, F)
    shift = label_norm.shift.weight.t() - label_norm.norm.running_mean * scale
    return scale, shift


def subpixel_weight(weight: torch.Tensor) -> torch.Tensor:
    """A ConvTranspose2d(kernel 4, stride 2, padding 1) weight (in, out, 4, 4) as the weight (4 * out, in, 3, 3)
    of a conv2d (padding 1) whose output, through pixel_shuffle(2), is the transposed convolution's.

    Output row 2i + a reads input rows i + di, di in {-1, 0, 1}, through kernel row a + 1 - 2 di when that is
    in [0, 4); likewise for columns. Output channel c * 4 + 2a + b is phase (a, b) of channel c, pixel_shuffle's order.
    """
    cin, cout = weight.shape[:2]
    out = weight.new_zeros(cout, 2, 2, cin, 3, 3)
    for a in range(2):
        for di in (-1, 0, 1):
            ky = a + 1 - 2 * di
            for b in range(2):
                for dj in (-1, 0, 1):
                    kx = b + 1 - 2 * dj
                    if 0 <= ky < 4 and 0 <= kx < 4:
                        out[:, a, b, :, di + 1, dj + 1] = weight[:, :, ky, kx].t()
    return out.reshape(4 * cout, cin, 3, 3)


class FoldedDCGAN(nn.Module):
    """`DCGANGenerator` or `LabelNormDCGANGenerator` (in eval mode) as a frozen, faster module: forward(z, labels)
    gives what the source module gives, to float rounding."""

    def __init__(self, net: DCGANGenerator | LabelNormDCGANGenerator):
        super().__init__()
        self.width = net.width
        with torch.no_grad():
            if isinstance(net, LabelNormDCGANGenerator):
                weight, norm0, up1, norm1, up2 = net.project.weight, net.norm0, net.up1, net.norm1, net.up2
                scale0, shift0 = _label_norm_tables(norm0)
                scale1, shift1 = _label_norm_tables(norm1)
            else:
                (linear, bn0, _), (up1, bn1, _, up2, _) = net.project, net.upsample
                weight = linear.weight
                scale0, shift0 = _batchnorm_tables(bn0)
                scale1, shift1 = _batchnorm_tables(bn1)
            latent = weight.shape[1] - (net.embed.num_classes if net.embed is not None else 0)
            # the one-hot code's columns of the first Linear, one per digit, pass through the first norm's scale
            code_columns = weight[:, latent:].t()  # (classes, F), or (0, F) unconditional
            if len(code_columns):
                shift0 = shift0 + code_columns * scale0
            # one row per digit in every table (a plain BatchNorm's single row repeated), else one row
            scale0, scale1, shift1 = (t.expand(len(shift0), -1) for t in (scale0, scale1, shift1))
            self.register_buffer("w0", weight[:, :latent].t().contiguous())  # (latent, F)
            self.register_buffer("scale0", scale0.contiguous())
            self.register_buffer("shift0", shift0.contiguous())
            self.register_buffer("w1", up1.weight.contiguous(memory_format=torch.channels_last))
            self.register_buffer("scale1", scale1[:, :, None, None].contiguous())
            self.register_buffer("shift1", shift1[:, :, None, None].contiguous())
            self.register_buffer("w2", subpixel_weight(up2.weight))
            self.register_buffer("b2", up2.bias.repeat_interleave(4))
        self.conditional = net.embed is not None

    @torch.no_grad()
    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        # each sample's row of the tables; an unconditional generator's single row broadcasts as it is
        rows = (lambda table: table[labels]) if self.conditional else (lambda table: table)
        h = z @ self.w0  # (B, 2w*49)
        h = torch.addcmul(rows(self.shift0), h, rows(self.scale0)).relu_()
        h = h.view(-1, 2 * self.width, 7, 7).contiguous(memory_format=torch.channels_last)
        h = F.conv_transpose2d(h, self.w1, stride=2, padding=1)  # (B, w, 14, 14)
        h = torch.addcmul(rows(self.shift1), h, rows(self.scale1)).relu_()
        h = F.conv2d(h, self.w2, self.b2, padding=1)  # (B, 4, 14, 14): the four phases
        return torch.tanh(F.pixel_shuffle(h, 2))  # (B, 1, 28, 28)


def foldable(net: nn.Module) -> bool:
    return type(net) in (DCGANGenerator, LabelNormDCGANGenerator)

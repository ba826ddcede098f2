"""The torch backend of `Sampler`: a `Generator` run by PyTorch, noise from torch's seeded generator."""

from __future__ import annotations

import copy

import numpy as np
import torch

from mnistgan.data import to_uint8
from mnistgan.latent import spherical_path
from mnistgan.nets import Generator
from mnistgan.nets.folded import FoldedDCGAN, foldable


class TorchBackend:
    def __init__(self, G: Generator, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.G = G.to(self.device)
        self.conditional, self.latent_dim = G.conditional, G.latent_dim
        self.draw = self._fast_form(self.G)

    def _fast_form(self, G: Generator) -> torch.nn.Module:
        """What draws digits: a frozen DCGAN's folded form (nets/folded.py); on a CPU, other generators built of
        nn.Conv2d (r3gan's) as a channels-last copy, where oneDNN's convolutions ran about 1.8x faster; else G itself.
        (StyleGAN's modulated convolutions gained less, and their digits moved by a level here and there: not
        copied.) Both are snapshots: callers that keep training G build a new Sampler for each use, as training's
        callbacks do."""
        if G.training:
            return G
        if foldable(G.net):
            return FoldedDCGAN(G.net)
        if self.device.type == "cpu" and any(isinstance(m, torch.nn.Conv2d) for m in G.modules()):
            return copy.deepcopy(G).to(memory_format=torch.channels_last)
        return G

    @staticmethod
    def normal(seed: int):
        """shape -> standard normal numbers, drawn from torch's generator seeded with `seed` (what the pins hold)."""
        g = torch.Generator().manual_seed(seed)
        return lambda shape: torch.randn(shape, generator=g)

    @torch.no_grad()
    def images(self, z, digits) -> np.ndarray:
        """uint8 (N, 28, 28) for noise z (N, latent) and digits (N,), or None for an unconditional model."""
        y = None if digits is None else torch.as_tensor(digits).to(self.device)
        return to_uint8(self.draw(torch.as_tensor(z).to(self.device), y)).cpu().numpy()

    @torch.no_grad()
    def interpolate(self, za: torch.Tensor, zb: torch.Tensor, steps: int, slerp: bool,
                    digits: tuple[int, int] | None) -> np.ndarray:
        """`steps` images from za to zb; with `digits`, the label codes of the two digits are blended too."""
        t = torch.linspace(0, 1, steps)
        if slerp:
            z = torch.from_numpy(spherical_path(za.numpy(), zb.numpy(), t.numpy()))
        else:
            z = torch.lerp(za.expand(steps, -1), zb.expand(steps, -1), t[:, None])
        if digits is None:
            return self.images(z, None)
        codes = self.G.label_code(torch.tensor(digits).to(self.device))  # (2, code)
        code = torch.lerp(codes[0].expand(steps, -1), codes[1].expand(steps, -1), t[:, None].to(codes))
        return to_uint8(self.G.forward_code(z.to(self.device), code)).cpu().numpy()

    @property
    def has_styles(self) -> bool:
        return self.G.has_styles

    @torch.no_grad()
    def mix(self, z_coarse, z_fine, coarse_digits, fine_digits, crossover: int, psi: float) -> np.ndarray:
        """Row i of each input pair mixed: styles before `crossover` from z_coarse[i], the rest from z_fine[i]."""
        def styles(z, digits):
            y = None if digits is None else torch.as_tensor(digits).to(self.device)
            return self.G.styles(torch.as_tensor(z).to(self.device), y, psi)

        coarse, fine = styles(z_coarse, coarse_digits), styles(z_fine, fine_digits)  # (N, NUM_WS, w_dim) each
        ws = torch.cat([coarse[:, :crossover], fine[:, crossover:]], 1)
        return to_uint8(self.G.synthesize(ws)).cpu().numpy()

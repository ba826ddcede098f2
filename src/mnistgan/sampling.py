"""Sampler: the one way to generate digits from an exported model folder.

    from mnistgan import Sampler
    s = Sampler.from_pretrained("runs/hinge-sn-.../model")   # or a registry name
    images = s(16, digits=7, seed=0)                          # uint8 (16, 28, 28)

Loading reads config.json and model.safetensors only, so it never executes
pickled code; a missing, corrupt or mismatched file is a ModelFileError that
names the file.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from mnistgan.data import to_uint8
from mnistgan.errors import MnistganError
from mnistgan.model_folder import read_info
from mnistgan.nets import NUM_CLASSES, Generator, load_generator

MAX_SEED = 2**63 - 1
CHUNK = 1024  # digits per generator pass (the API's largest request is one pass)
MAX_TRUNCATION = 100.0  # far beyond any Gaussian draw; larger values are a typo (and overflow float32)


class Sampler:
    def __init__(self, G: Generator, name: str = "model", info: dict | None = None, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.G = G.to(self.device)
        self.name, self.info = name, info or {}

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str = "cpu") -> "Sampler":
        from mnistgan.registry import resolve_model

        model_dir, name = resolve_model(name_or_path)
        return cls(load_generator(model_dir), name=name, info=read_info(model_dir), device=device)

    @property
    def conditional(self) -> bool:
        return self.G.conditional

    @property
    def latent_dim(self) -> int:
        return self.G.latent_dim

    # ------------------------------------------------------------ inputs

    def labels_for(self, num: int, digits) -> torch.Tensor:
        """Labels for `num` samples: one digit, a list (cycled), or None (cycle 0..9; -1 if unconditional)."""
        if not self.conditional:
            if digits is not None:
                raise MnistganError(f"{self.name} is unconditional: it cannot draw a chosen digit (drop --digit)")
            return torch.full((num,), -1, dtype=torch.int64)
        if digits is None:
            digits = list(range(NUM_CLASSES))
        seq = [digits] if isinstance(digits, (int, np.integer)) else list(digits)
        if not seq:
            raise MnistganError("digits must not be empty")
        for d in seq:
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= d < NUM_CLASSES:
                raise MnistganError(f"digit must be an integer 0-9, got {d!r}")
        return torch.tensor(seq, dtype=torch.int64).repeat(math.ceil(num / len(seq)))[:num]

    def noise(self, num: int, seed: int = 0, truncation: float | None = None, temperature: float = 1.0) -> torch.Tensor:
        """z ~ N(0, I) from a seeded generator; `truncation` resamples |z| > t, `temperature` scales z."""
        check_seed(seed)
        if truncation is not None and not (math.isfinite(truncation) and 0 < truncation <= MAX_TRUNCATION):
            raise MnistganError(f"truncation must be a number in (0, {MAX_TRUNCATION:g}], got {truncation}")
        if not (math.isfinite(temperature) and 0 <= temperature <= 10):
            raise MnistganError(f"temperature must be between 0 and 10, got {temperature}")
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(num, self.latent_dim, generator=g)
        if truncation is not None:
            for _ in range(100):
                outside = z.abs() > truncation
                if not outside.any():
                    break
                z[outside] = torch.randn(int(outside.sum()), generator=g)
            z = z.clamp(-truncation, truncation)
        return z * temperature

    # ------------------------------------------------------------ outputs

    @torch.no_grad()
    def decode(self, z: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
        """uint8 (N, 28, 28) in MNIST polarity (0 background, 255 ink), in chunks of `CHUNK` digits
        so that evaluating tens of thousands of samples does not hold all their activations at once."""
        out = []
        for s in range(0, len(z), CHUNK):
            y = labels[s : s + CHUNK].clamp(min=0).to(self.device) if self.conditional else None
            out.append(to_uint8(self.G(z[s : s + CHUNK].to(self.device), y)).cpu().numpy())
        return np.concatenate(out)

    def sample(self, num: int, digits=None, seed: int = 0, truncation: float | None = None,
               temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 (N, 28, 28), labels int64 (N,)); same arguments, same output."""
        if not isinstance(num, (int, np.integer)) or num < 1:
            raise MnistganError(f"num must be a positive integer, got {num!r}")
        labels = self.labels_for(num, digits)
        z = self.noise(num, seed, truncation, temperature)
        return self.decode(z, labels), labels.numpy()

    def __call__(self, num: int, digits=None, seed: int = 0, truncation: float | None = None,
                 temperature: float = 1.0, pil: bool = False):
        images, _ = self.sample(num, digits, seed, truncation, temperature)
        if pil:
            from PIL import Image

            return [Image.fromarray(255 - im) for im in images]
        return images

    def interpolate(self, steps: int = 10, from_digit: int | None = None, to_digit: int | None = None,
                    seeds: tuple[int, int] = (0, 1), slerp: bool = False, truncation: float | None = None) -> np.ndarray:
        """`steps` images walking from (seed A, digit A) to (seed B, digit B); labels blend through the embedding."""
        if not 2 <= steps <= 256:
            raise MnistganError(f"steps must be between 2 and 256, got {steps}")
        za = self.noise(1, seeds[0], truncation)[0]
        zb = self.noise(1, seeds[1], truncation)[0]
        t = torch.linspace(0, 1, steps)
        z = _slerp(za, zb, t) if slerp else torch.lerp(za.expand(steps, -1), zb.expand(steps, -1), t[:, None])
        if not self.conditional:
            if from_digit is not None or to_digit is not None:
                raise MnistganError(f"{self.name} is unconditional: it cannot interpolate between digits")
            return self.decode(z, torch.full((steps,), -1))
        a = self.labels_for(1, 0 if from_digit is None else from_digit)[0]
        b = self.labels_for(1, a.item() if to_digit is None else to_digit)[0]
        with torch.no_grad():
            codes = self.G.label_code(torch.stack([a, b]).to(self.device))  # (2, code)
            code = torch.lerp(codes[0].expand(steps, -1), codes[1].expand(steps, -1), t[:, None].to(codes))
            x = self.G.forward_code(z.to(self.device), code)
        return to_uint8(x).cpu().numpy()


def _slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    omega = torch.arccos(torch.clamp(torch.dot(a / a.norm(), b / b.norm()), -1, 1))
    if omega.abs() < 1e-6:
        return torch.lerp(a.expand(len(t), -1), b.expand(len(t), -1), t[:, None])
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so)[:, None] * a + (torch.sin(t * omega) / so)[:, None] * b


def check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise MnistganError(f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")

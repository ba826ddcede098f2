"""Hyperparameters as plain functions of how far the run has got (R3GAN's way): learning rates,
the R1/R2 weight and Adam's beta2 move from their start values to their final ones."""

from __future__ import annotations

import math
from dataclasses import dataclass

SHAPES = ("none", "linear", "cosine")


def remaining(shape: str, t: float) -> float:
    """The share of the way still to go at run fraction t in [0, 1]: 1 at the start, 0 at the end."""
    if shape == "linear":
        return 1 - t
    if shape == "cosine":
        return (1 + math.cos(math.pi * min(max(t, 0.0), 1.0))) / 2
    return 1.0


@dataclass(frozen=True)
class Schedule:
    shape: str = "none"  # none | linear | cosine
    lr_final: float = 0.0  # final learning rates, as a fraction of the start ones
    gamma_final: float = 1.0  # final R1/R2 weight, as a fraction of the start one
    beta2_start: float = 0.999
    beta2_final: float | None = None  # None: beta2 stays put

    @classmethod
    def from_options(cls, cfg) -> "Schedule":
        return cls(cfg.lr_decay, cfg.lr_final, cfg.gamma_final, cfg.beta2, cfg.beta2_final)

    @property
    def active(self) -> bool:
        return self.shape != "none"

    def at(self, t: float) -> tuple[float, float, float]:
        """(learning-rate fraction, penalty-weight fraction, beta2) at run fraction t."""
        w = remaining(self.shape, t)
        lr = self.lr_final + (1 - self.lr_final) * w
        gamma = self.gamma_final + (1 - self.gamma_final) * w
        beta2 = self.beta2_start if self.beta2_final is None else self.beta2_final + (self.beta2_start - self.beta2_final) * w
        return lr, gamma, beta2

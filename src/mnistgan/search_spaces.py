"""Optuna search spaces, one per preset (`SEARCH_SPACES[name]`), used by `mnistgan tune`.

Each function suggests TrainConfig fields through a `Space`, which skips any
field the user fixed on the command line (a fixed value is not a parameter of
the study). Ranges are centred on the recipes' published defaults and wide
enough to hold the usual alternatives: learning rates 1e-5..2e-3 on a log
scale for G and D separately, Adam's betas, the batch size and the latent size,
plus what each objective adds (label smoothing for BCE, critic steps and the
penalty weight for WGAN-GP, critic steps for the hinge loss).
"""

from __future__ import annotations

from typing import Any, Callable


class Space:
    """Suggests values for TrainConfig fields from an Optuna trial; fixed fields keep their value."""

    def __init__(self, trial, fixed: dict[str, Any] | None = None):
        self.trial, self.fixed = trial, dict(fixed or {})
        self.values: dict[str, Any] = {}

    def _take(self, name: str, suggest: Callable[[], Any]) -> None:
        if name not in self.fixed:
            self.values[name] = suggest()

    def log_float(self, name: str, low: float, high: float) -> None:
        self._take(name, lambda: self.trial.suggest_float(name, low, high, log=True))

    def float(self, name: str, low: float, high: float, step: float | None = None) -> None:
        # Stepped values come back as e.g. 0.30000000000000004; the config gets 0.3.
        self._take(name, lambda: round(self.trial.suggest_float(name, low, high, step=step), 6))

    def int(self, name: str, low: int, high: int) -> None:
        self._take(name, lambda: self.trial.suggest_int(name, low, high))

    def choice(self, name: str, choices: list) -> None:
        self._take(name, lambda: self.trial.suggest_categorical(name, choices))


def _adam(s: Space, beta1: tuple[float, float], beta2: list[float]) -> None:
    s.log_float("lr_g", 1e-5, 2e-3)
    s.log_float("lr_d", 1e-5, 2e-3)
    s.float("beta1", *beta1, step=0.1)
    s.choice("beta2", beta2)


def mlp_gan(s: Space) -> None:
    _adam(s, (0.0, 0.9), [0.9, 0.99, 0.999])
    s.choice("batch_size", [64, 128, 256, 512, 1024])
    s.choice("latent_dim", [50, 100, 128])
    s.float("label_smoothing", 0.8, 1.0, step=0.05)


def dcgan(s: Space) -> None:
    _adam(s, (0.0, 0.9), [0.9, 0.99, 0.999])
    s.choice("batch_size", [32, 64, 128])
    s.choice("latent_dim", [32, 64, 100, 128])
    s.float("label_smoothing", 0.8, 1.0, step=0.05)


cdcgan = dcgan


def wgan_gp(s: Space) -> None:
    # WGAN-GP wants little or no momentum (Gulrajani et al. use beta1 0, beta2 0.9).
    _adam(s, (0.0, 0.5), [0.9, 0.99])
    s.choice("batch_size", [32, 64, 128])
    s.choice("latent_dim", [32, 64, 100, 128])
    s.int("n_critic", 1, 5)
    s.log_float("gp_weight", 1.0, 20.0)


def hinge_sn(s: Space) -> None:
    _adam(s, (0.0, 0.5), [0.9, 0.99, 0.999])
    s.choice("batch_size", [32, 64, 128])
    s.choice("latent_dim", [32, 64, 100, 128])
    s.int("n_critic", 1, 2)


def stylegan(s: Space) -> None:
    _adam(s, (0.0, 0.9), [0.9, 0.99, 0.999])
    s.choice("batch_size", [32, 64, 128])
    s.float("label_smoothing", 0.8, 1.0, step=0.05)


def r3gan(s: Space) -> None:
    _adam(s, (0.0, 0.5), [0.9, 0.99])
    s.choice("batch_size", [64, 128, 256])
    s.log_float("r1_gamma", 0.005, 1.0)
    s.log_float("r2_gamma", 0.005, 1.0)


SEARCH_SPACES: dict[str, Callable[[Space], None]] = {
    "mlp-gan": mlp_gan,
    "dcgan": dcgan,
    "cdcgan": cdcgan,
    "wgan-gp": wgan_gp,
    "hinge-sn": hinge_sn,
    "stylegan": stylegan,
    "r3gan": r3gan,
}

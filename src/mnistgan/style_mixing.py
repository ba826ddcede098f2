"""Style mixing for style-based generators (the `stylegan` preset), backend-neutral: the seeds' noise
comes from the sampler, the mixing itself from its backend (`TorchBackend.mix`)."""

from __future__ import annotations

import numpy as np

from mnistgan.errors import MnistganError

STYLE_LAYERS = 6  # style inputs of a style-based generator (nets.stylegan.NUM_WS), importable without torch
COARSE_LAYERS = 3  # the default crossover: 7x7 and the first 14x14 layer set the digit's shape


def mixing_grid(sampler, coarse_seeds, fine_seeds, digit, fine_digit, crossover: int, psi: float) -> np.ndarray:
    """uint8 (rows, cols, 28, 28): row i with the coarse styles of coarse_seeds[i], column j with the fine
    styles of fine_seeds[j]; all mixes in one generator pass."""
    z_coarse, z_fine, digits = mixing_inputs(sampler, coarse_seeds, fine_seeds, digit, fine_digit, crossover, psi)
    rows, cols = len(z_coarse), len(z_fine)
    coarse = z_coarse[np.repeat(np.arange(rows), cols)]  # (rows * cols, latent): each row's z, cols times
    fine = z_fine[np.tile(np.arange(cols), rows)]
    coarse_digits = None if digits is None else np.full(rows * cols, digits[0], dtype=np.int64)
    fine_digits = None if digits is None else np.full(rows * cols, digits[1], dtype=np.int64)
    images = sampler.backend.mix(coarse, fine, coarse_digits, fine_digits, crossover, psi)
    return images.reshape(rows, cols, 28, 28)


def mixing_inputs(sampler, coarse_seeds, fine_seeds, digit, fine_digit, crossover: int, psi: float):
    """(z of the coarse seeds, z of the fine seeds, (coarse digit, fine digit) or None), checked."""
    if not getattr(sampler.backend, "has_styles", False):
        raise MnistganError(f"{sampler.name} has no style layers to mix (style mixing needs a stylegan model "
                            "on the torch backend)")
    if not 1 <= crossover < STYLE_LAYERS:
        raise MnistganError(f"crossover must be between 1 and {STYLE_LAYERS - 1}, got {crossover}")
    if not (isinstance(psi, (int, float)) and not isinstance(psi, bool) and 0 <= psi <= 2):
        raise MnistganError(f"psi must be a number between 0 and 2, got {psi!r}")
    for seeds in (coarse_seeds, fine_seeds):
        if not 1 <= len(seeds) <= 32:
            raise MnistganError(f"give 1 to 32 seeds per side, got {len(seeds)}")
    z_coarse = np.stack([np.asarray(sampler.noise(1, s)[0]) for s in coarse_seeds])
    z_fine = np.stack([np.asarray(sampler.noise(1, s)[0]) for s in fine_seeds])
    if not sampler.conditional:
        if digit is not None or fine_digit is not None:
            raise MnistganError(f"{sampler.name} is unconditional: it cannot draw a chosen digit")
        return z_coarse, z_fine, None
    coarse_digit = int(sampler.labels_for(1, 0 if digit is None else digit)[0])
    fine_digit = int(sampler.labels_for(1, coarse_digit if fine_digit is None else fine_digit)[0])
    return z_coarse, z_fine, (coarse_digit, fine_digit)

"""The generator's inputs, the same for every backend: checked seeds, shaped Gaussian noise, paths between two z.

Nothing here imports torch: the onnx backend generates without it. A backend only supplies
its seeded source of standard normal numbers (torch's generator or NumPy's); truncation and
temperature act on those numbers the same way for both, through `gaussian_noise`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mnistgan.errors import MnistganError

NUM_CLASSES = 10  # as nets.NUM_CLASSES, which this module cannot import without importing torch
MAX_SEED = 2**63 - 1
MAX_TRUNCATION = 100.0  # far beyond any Gaussian draw; larger values are a typo (and overflow float32)
MAX_TEMPERATURE = 10.0
TRUNCATION_REDRAWS = 100  # rounds of redrawing the entries beyond the truncation before clamping the rest

# shape -> standard normal float32 numbers: a torch.Tensor or a NumPy array, from a seeded generator
NormalDraw = Callable[[tuple[int, ...]], object]


def check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise MnistganError(f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")


def digit_labels(num: int, digits, conditional: bool, model_name: str) -> np.ndarray:
    """int64 labels for `num` samples: one digit, a list (cycled), or None (cycle 0..9; -1 if unconditional)."""
    if not conditional:
        if digits is not None:
            raise MnistganError(f"{model_name} is unconditional: it cannot draw a chosen digit (drop --digit)")
        return np.full(num, -1, dtype=np.int64)
    if digits is None:
        digits = list(range(NUM_CLASSES))
    seq = [digits] if isinstance(digits, (int, np.integer)) else list(digits)
    if not seq:
        raise MnistganError("digits must not be empty")
    for d in seq:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= d < NUM_CLASSES:
            raise MnistganError(f"digit must be an integer 0-9, got {d!r}")
    return np.resize(np.asarray(seq, dtype=np.int64), num)  # np.resize repeats the sequence to length num


def check_noise_options(truncation: float | None, temperature: float) -> None:
    if truncation is not None and not (math.isfinite(truncation) and 0 < truncation <= MAX_TRUNCATION):
        raise MnistganError(f"truncation must be a number in (0, {MAX_TRUNCATION:g}], got {truncation}")
    if not (math.isfinite(temperature) and 0 <= temperature <= MAX_TEMPERATURE):
        raise MnistganError(f"temperature must be between 0 and {MAX_TEMPERATURE:g}, got {temperature}")


def gaussian_noise(draw: NormalDraw, shape: tuple[int, int], truncation: float | None, temperature: float):
    """z ~ N(0, I) of `shape`; `truncation` redraws |z| > t (then clamps what is left), `temperature` scales z.

    Written with the operations torch tensors and NumPy arrays share, so each backend's noise is
    its own generator's numbers and nothing else: the torch backend's bytes stay what they were.
    """
    z = draw(shape)
    if truncation is not None:
        for _ in range(TRUNCATION_REDRAWS):
            outside = abs(z) > truncation
            if not outside.any():
                break
            z[outside] = draw((int(outside.sum()),))
        z = z.clip(-truncation, truncation)
    return z * temperature


def linear_path(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(len(t), dim): the points a + t (b - a)."""
    return a + t[:, None] * (b - a)


def spherical_path(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(len(t), dim): slerp from a to b, which keeps z at a typical size on the way; a line when a ∥ b."""
    omega = np.arccos(np.clip(np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b)), -1, 1))
    if abs(omega) < 1e-6:
        return linear_path(a, b, t)
    so = np.sin(omega)
    path = (np.sin((1 - t) * omega) / so)[:, None] * a + (np.sin(t * omega) / so)[:, None] * b
    return path.astype(np.float32)

"""Memorization: generated digits that sit closer to a training image than any real new digit does.

Distances are L2 in pixel space with pixels in [0, 1] (a 28x28 image spans 0..28).
The threshold is how close real held-out digits come to the training set:
the smallest nearest-training-image distance over the reference half of the
MNIST test set (see `reference.py`). A generated digit nearer than that to a
training image is counted as a copy.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from mnistgan.grids import save_grid

CHUNK = 512


def _flat(images) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    return x.reshape(len(x), -1).float().div_(255.0)


def nearest_neighbours(queries, references) -> tuple[np.ndarray, np.ndarray]:
    """For uint8 queries (Q, 28, 28): (L2 distance float64 (Q,), index (Q,)) of the nearest of `references`.

    Candidates come from a float32 matmul; the chosen pair's distance is recomputed exactly in float64.
    """
    q, r = _flat(queries), _flat(references)
    r_sq = (r * r).sum(1)
    idx = []
    for s in range(0, len(q), CHUNK):
        block = q[s : s + CHUNK]
        d2 = r_sq[None, :] - 2 * block @ r.T  # |q|^2 is constant per row: it does not change the argmin
        idx.append(d2.argmin(1))
    index = torch.cat(idx) if idx else torch.zeros(0, dtype=torch.int64)
    exact = (q.double() - r[index].double()).pow(2).sum(1).sqrt()
    return exact.numpy(), index.numpy()


def memorized_fraction(distances: np.ndarray, threshold: float) -> float:
    """Fraction of distances strictly below the threshold."""
    d = np.asarray(distances, np.float64)
    return float((d < threshold).mean()) if len(d) else 0.0


def worst_pairs(distances: np.ndarray, count: int = 16) -> np.ndarray:
    """Indices of the `count` generated digits nearest to a training image, nearest first."""
    return np.argsort(np.asarray(distances), kind="stable")[:count]


def save_worst_pairs(path: str | os.PathLike, images, train_images, distances: np.ndarray,
                     neighbours: np.ndarray, count: int = 16, per_row: int = 8, scale: int = 3) -> None:
    """A PNG of the `count` generated digits nearest to a training digit, nearest first.

    Rows alternate: a row of generated digits, then the row of their nearest training digits below them.
    """
    images, train_images = np.asarray(images, np.uint8), np.asarray(train_images, np.uint8)
    order = worst_pairs(distances, count)
    per_row = min(per_row, len(order))
    rows = []
    for start in range(0, len(order), per_row):
        chunk = order[start : start + per_row]
        pad = np.zeros((per_row - len(chunk), 28, 28), np.uint8)
        rows += [images[chunk], pad, train_images[neighbours[chunk]], pad]
    save_grid(np.concatenate(rows), path, nrow=per_row, scale=scale)

"""Improved precision and recall (Kynkäänniemi et al. 2019), k-NN manifolds in feature space.

Each set's manifold is the union of balls around its points, each ball's radius
the distance to that point's k-th nearest neighbour within the set.
Precision: the fraction of generated points inside the real manifold (are the
samples realistic?). Recall: the fraction of real points inside the generated
manifold (do the samples cover the variety of real digits?).
"""

from __future__ import annotations

import numpy as np
import torch

K = 3
CHUNK = 1024


def _distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distances (len(a), len(b)), float64."""
    d2 = (a * a).sum(1, keepdim=True) + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return d2.clamp_(min=0).sqrt_()


def knn_radii(features: np.ndarray, k: int = K) -> np.ndarray:
    """Distance from each point to its k-th nearest other point of the same set, (N,)."""
    x = torch.as_tensor(np.asarray(features, np.float64))
    if len(x) <= k:
        raise ValueError(f"need more than k={k} points, got {len(x)}")
    radii = []
    for start in range(0, len(x), CHUNK):
        d = _distances(x[start : start + CHUNK], x)
        # The point itself is at distance 0: the (k+1)-th smallest is the k-th other point.
        radii.append(d.kthvalue(k + 1, dim=1).values)
    return torch.cat(radii).numpy()


def in_manifold(queries: np.ndarray, points: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Boolean (Q,): whether each query lies within radii[j] of some points[j]."""
    q = torch.as_tensor(np.asarray(queries, np.float64))
    p, r = torch.as_tensor(np.asarray(points, np.float64)), torch.as_tensor(np.asarray(radii, np.float64))
    inside = [(_distances(q[s : s + CHUNK], p) <= r[None, :]).any(1) for s in range(0, len(q), CHUNK)]
    return torch.cat(inside).numpy() if inside else np.zeros(0, bool)


def precision(real: np.ndarray, generated: np.ndarray, k: int = K) -> float:
    """Fraction of `generated` features inside the k-NN manifold of `real` features."""
    return float(in_manifold(generated, real, knn_radii(real, k)).mean())


def recall(real: np.ndarray, generated: np.ndarray, k: int = K) -> float:
    """Fraction of `real` features inside the k-NN manifold of `generated` features."""
    return precision(generated, real, k)


def precision_recall(real: np.ndarray, generated: np.ndarray, k: int = K) -> tuple[float, float]:
    """(precision, recall) of `generated` features against `real` features."""
    return precision(real, generated, k), recall(real, generated, k)

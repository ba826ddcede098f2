"""Mode coverage: which digits a generator draws, judged by the classifier.

The class histogram of the samples is compared with a reference distribution
by KL(reference || generated): a digit the model never draws costs
reference[c] * log(reference[c] / EPS), so dropped modes dominate the figure.
A class is covered when at least MIN_SHARE of the samples fall in it
(a tenth of its share under a uniform distribution).
"""

from __future__ import annotations

import numpy as np

NUM_CLASSES = 10
MIN_SHARE = 0.01
EPS = 1e-6  # floor on generated probabilities, so a missing class gives a large, finite KL


def class_histogram(predictions: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Fractions (num_classes,) of predictions (N,) in each class; sums to 1."""
    p = np.asarray(predictions, np.int64)
    if len(p) == 0:
        raise ValueError("no predictions")
    if p.min() < 0 or p.max() >= num_classes:
        raise ValueError(f"predictions must lie in 0..{num_classes - 1}")
    return np.bincount(p, minlength=num_classes) / len(p)


def kl_divergence(reference: np.ndarray, generated: np.ndarray, eps: float = EPS) -> float:
    """KL(reference || generated) in nats; `generated` is floored at eps and renormalized."""
    p = np.asarray(reference, np.float64)
    q = np.clip(np.asarray(generated, np.float64), eps, None)
    q = q / q.sum()
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def classes_covered(histogram: np.ndarray, min_share: float = MIN_SHARE) -> int:
    return int((np.asarray(histogram) >= min_share).sum())


def mode_coverage(predictions: np.ndarray, reference: np.ndarray) -> dict:
    """{"class_histogram": [...], "class_kl": KL(reference || histogram), "classes_covered": int}."""
    hist = class_histogram(predictions, len(reference))
    return {"class_histogram": hist.tolist(), "class_kl": kl_divergence(reference, hist),
            "classes_covered": classes_covered(hist)}

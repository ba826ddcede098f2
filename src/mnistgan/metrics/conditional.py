"""Conditional accuracy: how often a class-conditional model draws the digit it was asked for.

The classifier's prediction is compared with the requested label; labels of -1
(an unconditional sample) have no figure.
"""

from __future__ import annotations

import numpy as np

NUM_CLASSES = 10


def conditional_accuracy(predictions: np.ndarray, requested: np.ndarray,
                         num_classes: int = NUM_CLASSES) -> tuple[float | None, list[float | None]]:
    """(overall accuracy, per-digit accuracy list) over samples with a requested label >= 0.

    None where there is nothing to score: overall when no sample was conditioned,
    a digit when no sample asked for it.
    """
    pred, req = np.asarray(predictions, np.int64), np.asarray(requested, np.int64)
    if pred.shape != req.shape:
        raise ValueError(f"{pred.shape} predictions for {req.shape} labels")
    asked = req >= 0
    if not asked.any():
        return None, [None] * num_classes
    hit = pred == req
    per_digit = [float(hit[req == d].mean()) if (req == d).any() else None for d in range(num_classes)]
    return float(hit[asked].mean()), per_digit

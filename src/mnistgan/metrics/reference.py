"""The real data every metric compares against, computed once and cached.

- the MNIST test set in the classifier's feature space (features, predictions,
  Gaussian statistics), cached per classifier in the XDG cache;
- the distance from each test digit to its nearest training digit (pixel L2),
  shipped as `test_to_train.safetensors` (written by
  `scripts/memorization_reference.py`, recomputed and cached if absent).

The memorization threshold comes from the reference half of the test set
(digits 5000..9999); the other half (0..4999) stays held out to measure the
threshold's real-data floor, so that floor is not zero by construction.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistgan.data import cache_dir, load_mnist
from mnistgan.fileio import atomic_path, atomic_write_bytes
from mnistgan.metrics.features import HERE, classifier_id, embed
from mnistgan.metrics.fid import gaussian_stats
from mnistgan.metrics.memorization import nearest_neighbours

TEST_TO_TRAIN = HERE / "test_to_train.safetensors"
HELD_OUT = slice(0, 5000)     # test digits that measure the memorization floor
REFERENCE = slice(5000, None)  # test digits that set the memorization threshold


def metrics_cache_dir() -> Path:
    return cache_dir().parent / "metrics"


@dataclass(frozen=True)
class RealReference:
    features: np.ndarray     # (10000, 128) float32
    predictions: np.ndarray  # (10000,) classifier's class per digit
    labels: np.ndarray       # (10000,) true labels
    mu: np.ndarray           # (128,) float64
    sigma: np.ndarray        # (128, 128) float64

    @property
    def class_distribution(self) -> np.ndarray:
        return np.bincount(self.predictions, minlength=10) / len(self.predictions)


@functools.lru_cache(maxsize=1)
def reference_set() -> RealReference:
    path = metrics_cache_dir() / f"test-features-{classifier_id()}.npz"
    try:
        with np.load(path) as z:
            features, logits, labels = z["features"], z["logits"], z["labels"]
    except (OSError, KeyError, ValueError):
        test = load_mnist("test")
        features, logits = embed(test.images)
        labels = test.labels.numpy()
        buf = io.BytesIO()
        np.savez(buf, features=features, logits=logits, labels=labels)
        try:
            atomic_write_bytes(path, buf.getvalue())
        except OSError:
            pass  # a read-only cache only costs the time to embed the test set again
    mu, sigma = gaussian_stats(features)
    return RealReference(features, logits.argmax(1), labels, mu, sigma)


@functools.lru_cache(maxsize=1)
def train_images() -> np.ndarray:
    return load_mnist("train").images.numpy()


def compute_test_to_train() -> tuple[np.ndarray, np.ndarray]:
    """(distance float64 (10000,), index int64 (10000,)) of each test digit's nearest training digit."""
    return nearest_neighbours(load_mnist("test").images, train_images())


@functools.lru_cache(maxsize=1)
def nearest_train_to_test() -> tuple[np.ndarray, np.ndarray]:
    """The shipped test-to-train nearest-neighbour distances; computed (minutes) and cached if not shipped."""
    from safetensors.numpy import load_file, save_file

    cached = metrics_cache_dir() / "test_to_train.safetensors"
    for path in (TEST_TO_TRAIN, cached):
        if path.is_file():
            t = load_file(str(path))
            return t["distance"], t["index"]
    distance, index = compute_test_to_train()
    with atomic_path(cached) as tmp:
        save_file({"distance": distance, "index": index}, str(tmp))
    return distance, index


def memorization_threshold() -> float:
    """The smallest distance from a reference-half test digit to the training set."""
    return float(nearest_train_to_test()[0][REFERENCE].min())

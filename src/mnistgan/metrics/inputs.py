"""What metric functions are computed from: named inputs, each computed at most once and only when asked for.

A registered metric function names the inputs it takes by its parameter names
(`def fid(features, reference)`); `MetricInputs.arguments_for` supplies them.
Embedding the samples and searching the 60,000 training digits are the
expensive steps, so a set of metrics that needs neither never pays for them.

    images                  uint8 (N, 28, 28), the digits being scored
    labels                  int64 (N,), the digit each sample was asked to be; -1 where unconditional
    seed                    int, picks the random subsets of KID and precision/recall
    features                float32 (N, 128), the samples in the classifier's feature space
    predictions             int64 (N,), the classifier's digit for each sample
    reference               RealReference: the MNIST test set in the same space (features, mu, sigma, classes)
    train_distance          float64 (N,), pixel L2 distance from each sample to its nearest training digit
    memorization_threshold  float, how near real held-out digits come to the training set
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import numpy as np

from mnistgan.metrics.features import embed
from mnistgan.metrics.memorization import nearest_neighbours
from mnistgan.metrics.reference import (HELD_OUT, RealReference, memorization_threshold, nearest_train_to_test,
                                        reference_set, train_images)

INPUT_NAMES = ("images", "labels", "seed", "features", "predictions", "reference", "train_distance",
               "memorization_threshold")


def parameter_names(fn: Callable) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters)


class MetricInputs:
    """The inputs of one set of samples (checked by `evaluation.check_samples`)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, seed: int):
        self.images, self.labels, self.seed = images, labels, seed

    def arguments_for(self, fn: Callable) -> dict:
        """The keyword arguments `fn` asks for, by parameter name."""
        unknown = [name for name in parameter_names(fn) if name not in INPUT_NAMES]
        if unknown:
            raise TypeError(f"{fn.__name__} takes unknown metric input(s) {unknown}; known: {', '.join(INPUT_NAMES)}")
        return {name: getattr(self, name) for name in parameter_names(fn)}

    @functools.cached_property
    def _embedded(self) -> tuple[np.ndarray, np.ndarray]:
        return embed(self.images)

    @property
    def features(self) -> np.ndarray:
        return self._embedded[0]

    @functools.cached_property
    def predictions(self) -> np.ndarray:
        return self._embedded[1].argmax(1)

    @property
    def reference(self) -> RealReference:
        return reference_set()  # cached per process by reference.py

    @functools.cached_property
    def nearest_train(self) -> tuple[np.ndarray, np.ndarray]:
        """(distance (N,), index (N,)) of each sample's nearest training digit: a search through all 60,000."""
        return nearest_neighbours(self.images, train_images())

    @property
    def train_distance(self) -> np.ndarray:
        return self.nearest_train[0]

    @property
    def memorization_threshold(self) -> float:
        return memorization_threshold()


class RealFloorInputs(MetricInputs):
    """Real training digits with their true labels, for the real-data floor.

    Training digits are their own nearest training digits (distance 0), so
    `train_distance` comes from up to N held-out test digits (test[0:5000]) instead,
    whose distances to the training set ship with the package: no search needed.
    """

    @functools.cached_property
    def train_distance(self) -> np.ndarray:
        held_out = np.arange(HELD_OUT.start, HELD_OUT.stop)
        held_out = np.random.default_rng(self.seed).permutation(held_out)[: min(len(self.images), len(held_out))]
        return nearest_train_to_test()[0][np.sort(held_out)]

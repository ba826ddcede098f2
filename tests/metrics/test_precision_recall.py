"""Improved precision/recall on point sets whose answers can be counted by hand."""

import numpy as np
import pytest

from mnistgan.metrics.precision_recall import in_manifold, knn_radii, precision_recall


def line(values):
    return np.stack([np.asarray(values, float), np.zeros(len(values))], 1)


def test_knn_radii_on_a_line():
    assert knn_radii(line(range(10)), k=1).tolist() == [1.0] * 10
    r = knn_radii(line(range(10)), k=3)
    assert r[0] == 3.0 and r[1] == 2.0 and r[5] == 2.0 and r[9] == 3.0


def test_identical_sets_have_full_precision_and_recall():
    x = np.random.default_rng(0).normal(size=(200, 5))
    assert precision_recall(x, x.copy()) == (1.0, 1.0)


def test_distant_sets_have_none():
    x = np.random.default_rng(0).normal(size=(100, 5))
    assert precision_recall(x, x + 100.0) == (0.0, 0.0)


def test_half_realistic_samples():
    real = line(range(10))
    fake = line([0, 1, 2, 3, 4, 100, 101, 102, 103, 104])
    precision, recall = precision_recall(real, fake, k=3)
    assert precision == 0.5  # the five copies lie inside real balls, the five far ones do not
    # Fake radii around 0..4 reach 3 at most (from 4: to 7); reals 8 and 9 stay outside.
    assert recall == pytest.approx(0.8)


def test_in_manifold_respects_each_radius():
    points, radii = line([0, 10]), np.array([1.0, 5.0])
    assert in_manifold(line([0.5, 2, 6, 14.9, 16]), points, radii).tolist() == [True, False, True, True, False]

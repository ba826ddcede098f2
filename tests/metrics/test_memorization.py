"""Memorization: planted copies are found, distances are exact, pairs are drawn, shipped distances are right."""

import numpy as np
import pytest
from PIL import Image

from mnistgan.metrics import reference
from mnistgan.metrics.memorization import memorized_fraction, nearest_neighbours, save_worst_pairs, worst_pairs


def random_digits(n, seed):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def test_planted_copies_are_found():
    train = random_digits(300, 0)
    fresh = random_digits(5, 1)
    queries = np.concatenate([train[[7, 42, 299]], fresh])
    distance, index = nearest_neighbours(queries, train)
    assert distance[:3].tolist() == [0.0, 0.0, 0.0] and index[:3].tolist() == [7, 42, 299]
    brute = np.sqrt(((fresh[:, None].astype(float) - train[None].astype(float)) ** 2 / 255**2).sum((2, 3)))
    assert np.allclose(distance[3:], brute.min(1)) and (index[3:] == brute.argmin(1)).all()
    assert memorized_fraction(distance, threshold=1.0) == 3 / 8
    assert worst_pairs(distance, 3).tolist() == [0, 1, 2]


def test_worst_pairs_png(tmp_path):
    train, queries = random_digits(50, 0), random_digits(20, 1)
    distance, index = nearest_neighbours(queries, train)
    save_worst_pairs(tmp_path / "pairs.png", queries, train, distance, index, count=12, per_row=8, scale=1)
    with Image.open(tmp_path / "pairs.png") as im:
        # 12 pairs, 8 per row: 2 row pairs = 4 rows of 8 tiles (28 px + 2 px padding)
        assert im.size == (8 * 30 + 2, 4 * 30 + 2)


def test_shipped_test_to_train_distances_match_a_fresh_search():
    from mnistgan.data import load_mnist

    distance, index = reference.nearest_train_to_test()
    assert distance.shape == index.shape == (10000,)
    some = np.random.default_rng(0).choice(10000, 16, replace=False)
    d, i = nearest_neighbours(load_mnist("test").images.numpy()[some], reference.train_images())
    assert np.allclose(d, distance[some], atol=1e-6) and (i == index[some]).all()
    # No real held-out digit is a copy: the threshold sits below every reference-half distance.
    assert reference.memorization_threshold() == pytest.approx(distance[reference.REFERENCE].min())
    assert 0.5 < reference.memorization_threshold() < 2.0

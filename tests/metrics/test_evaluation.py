"""The metric registry on real digits (near the floor) and on garbage (far from it); the floor's cache."""

import numpy as np
import pytest

from mnistgan.data import load_mnist
from mnistgan.metrics.evaluation import _floor_path, compute_metrics, real_floor, scalars
from mnistgan.metrics.registry import METRIC_REGISTRY

N = 600


@pytest.fixture(scope="module")
def test_digits():
    test = load_mnist("test")
    return test.images.numpy()[-N:], test.labels.numpy()[-N:]


def test_real_test_digits_score_like_the_real_floor(test_digits, tmp_path):
    images, labels = test_digits
    result = compute_metrics(images, labels, seed=0, pairs_path=tmp_path / "pairs.png")
    floor = real_floor(N, seed=0)
    assert set(scalars(result)) == set(scalars(floor)) == set(METRIC_REGISTRY)
    assert result["fid"] < 3 * floor["fid"] and result["kid"] < 0.01
    assert result["precision"] > 0.7 and result["recall"] > 0.7
    assert result["classes_covered"] == floor["classes_covered"] == 10
    assert result["cond_acc"] > 0.98 and floor["cond_acc"] > 0.98
    assert result["memorization"] == 0.0  # test[5000:] set the threshold: none of them lie below it
    assert result["details"]["memorization_threshold"] == floor["details"]["memorization_threshold"]
    assert floor["details"]["memorization_samples"] == N  # held-out test digits, not training digits
    assert (tmp_path / "pairs.png").exists()


def test_collapsed_garbage_is_far_from_the_floor():
    blobs = np.zeros((N, 28, 28), np.uint8)
    blobs[:, 10:18, 10:18] = 255
    result = compute_metrics(blobs, np.full(N, -1), seed=0, metrics=("fid", "precision", "class_kl", "classes_covered", "cond_acc"))
    floor = real_floor(N, seed=0)
    assert result["fid"] > 100 * floor["fid"]
    assert result["precision"] < 0.05 and result["classes_covered"] == 1 and result["class_kl"] > 1
    assert result["cond_acc"] is None  # unconditional samples


def test_floor_is_cached_per_size_and_seed():
    first = real_floor(N, seed=0)
    assert _floor_path(N, 0, tuple(METRIC_REGISTRY)).is_file()
    assert real_floor(N, seed=0) == first


def test_bad_samples_are_rejected():
    with pytest.raises(ValueError, match="uint8"):
        compute_metrics(np.zeros((4, 28, 28), np.float32), np.zeros(4, int))
    with pytest.raises(ValueError, match="labels"):
        compute_metrics(np.zeros((4, 28, 28), np.uint8), np.full(4, 12))

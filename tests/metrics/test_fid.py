"""FID on known values: identical Gaussians, hand-computed 1-D and 2-D cases, scipy's sqrtm."""

import numpy as np
import pytest
import scipy.linalg

from mnistgan.metrics.fid import fid, frechet_distance, gaussian_stats


def test_identical_gaussians_are_at_distance_zero():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 6))
    sigma = a.T @ a / 50
    assert frechet_distance(np.ones(6), sigma, np.ones(6), sigma) == pytest.approx(0, abs=1e-10)


def test_one_dimensional_case_by_hand():
    # N(1, 2^2) vs N(3, 3^2): (1 - 3)^2 + (2 - 3)^2 = 5
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(5.0)


def test_two_dimensional_diagonal_case_by_hand():
    # |mu1 - mu2|^2 = 1 + 4; tr = (1 + 4) + (4 + 1) - 2 (sqrt(1*4) + sqrt(4*1)) = 2
    d = frechet_distance([0, 0], np.diag([1.0, 4.0]), [1, 2], np.diag([4.0, 1.0]))
    assert d == pytest.approx(7.0)


def test_matches_the_textbook_formula_with_scipy_sqrtm():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(40, 5)), rng.normal(size=(40, 5)) * [1, 2, 3, 0.5, 1]
    s1, s2 = a.T @ a / 40, b.T @ b / 40 + 0.3
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_fid_of_feature_sets():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 4))
    assert fid(x, x) == pytest.approx(0, abs=1e-9)
    assert fid(x, x + 2.0) == pytest.approx(4 * 2.0**2)  # a shift moves only the means
    mu, sigma = gaussian_stats(x)
    assert mu.shape == (4,) and sigma.shape == (4, 4) and np.allclose(sigma, np.cov(x.T))


def test_rejects_bad_shapes():
    with pytest.raises(ValueError):
        gaussian_stats(np.zeros((1, 3)))
    with pytest.raises(ValueError):
        frechet_distance([0, 0], np.eye(2), [0, 0, 0], np.eye(3))

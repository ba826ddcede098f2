"""KID: the unbiased MMD^2 by hand, near zero for one distribution, positive for two."""

import numpy as np
import pytest

from mnistgan.metrics.kid import kid, mmd2_unbiased, polynomial_kernel


def test_polynomial_kernel():
    x = np.array([[1.0, 2.0]])
    assert polynomial_kernel(x, x)[0, 0] == pytest.approx((5 / 2 + 1) ** 3)


def test_unbiased_mmd_by_hand():
    # 1-D, k(x, y) = (xy + 1)^3. x = {0, 0}: k = 1; y = {1, 1}: k = 8; cross k = 1.
    # MMD^2 = mean off-diagonal k(x,x) + mean off-diagonal k(y,y) - 2 mean k(x,y) = 1 + 8 - 2
    assert mmd2_unbiased(np.zeros((2, 1)), np.ones((2, 1))) == pytest.approx(7.0)


def test_same_distribution_is_near_zero_and_a_shift_is_not():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(600, 8)), rng.normal(size=(600, 8))
    same, same_std = kid(a, b, subsets=20, subset_size=300, seed=0)
    shifted, _ = kid(a, b + 1.0, subsets=20, subset_size=300, seed=0)
    assert abs(same) < 3 * same_std + 1e-3
    assert shifted > 0.1 > abs(same)


def test_subsets_are_seeded():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(100, 3)), rng.normal(size=(100, 3))
    assert kid(a, b, subsets=5, subset_size=50, seed=3) == kid(a, b, subsets=5, subset_size=50, seed=3)

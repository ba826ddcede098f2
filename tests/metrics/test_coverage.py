"""Mode coverage on hand-made histograms."""

import math

import numpy as np
import pytest

from mnistgan.metrics.coverage import EPS, class_histogram, classes_covered, kl_divergence, mode_coverage


def test_class_histogram():
    assert class_histogram([0, 0, 1, 3], 4).tolist() == [0.5, 0.25, 0.0, 0.25]
    with pytest.raises(ValueError):
        class_histogram([0, 10])


def test_kl_by_hand():
    assert kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(expected, rel=1e-5)


def test_a_missing_class_costs_a_lot_but_stays_finite():
    uniform = np.full(10, 0.1)
    dropped = np.r_[0.0, np.full(9, 1 / 9)]
    kl = kl_divergence(uniform, dropped)
    assert math.isfinite(kl) and kl > 0.1 * math.log(0.1 / EPS) * 0.9


def test_classes_covered_counts_classes_with_at_least_one_percent():
    assert classes_covered(np.r_[np.full(9, 0.11), 0.01]) == 10
    assert classes_covered(np.r_[np.full(9, 0.111), 0.001]) == 9


def test_mode_coverage_of_a_collapsed_generator():
    out = mode_coverage(np.full(100, 7), np.full(10, 0.1))
    assert out["classes_covered"] == 1 and out["class_histogram"][7] == 1.0 and out["class_kl"] > 5

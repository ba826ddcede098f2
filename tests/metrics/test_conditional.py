"""Conditional accuracy, overall and per digit."""

from mnistgan.metrics.conditional import conditional_accuracy


def test_overall_and_per_digit():
    overall, per_digit = conditional_accuracy([0, 1, 2, 2, 5], [0, 1, 1, -1, 5])
    assert overall == 0.75  # the -1 sample asked for nothing and is not scored
    assert per_digit[:3] == [1.0, 0.5, None] and per_digit[5] == 1.0 and len(per_digit) == 10


def test_unconditional_samples_have_no_figure():
    assert conditional_accuracy([3, 4], [-1, -1]) == (None, [None] * 10)

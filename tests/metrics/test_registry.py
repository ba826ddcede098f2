"""The metric registry: each metric a pure function of named inputs; subsets, unknown names, new metrics."""

from __future__ import annotations

import numpy as np
import pytest

from mnistgan.metrics import inputs as metric_inputs
from mnistgan.metrics.evaluation import compute_metrics, metrics_record, real_floor, scalars
from mnistgan.metrics.fid import gaussian_stats
from mnistgan.metrics.inputs import INPUT_NAMES
from mnistgan.metrics.reference import RealReference
from mnistgan.metrics.registry import METRIC_REGISTRY, Measured, register_metric, resolve_metrics


def synthetic_inputs(seed: int) -> dict:
    """Every input a metric may take, made up (no MNIST, no classifier): metrics are functions of these alone."""
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(200, 16)).astype(np.float32)
    mu, sigma = gaussian_stats(real)
    labels = np.arange(60) % 10
    return {
        "images": rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        "labels": labels,
        "seed": seed,
        "features": rng.normal(0.3, 1.0, (60, 16)).astype(np.float32),
        "predictions": np.where(rng.random(60) < 0.8, labels, rng.integers(0, 10, 60)),
        "reference": RealReference(real, rng.integers(0, 10, 200), rng.integers(0, 10, 200), mu, sigma),
        "train_distance": rng.uniform(2.0, 9.0, 60),
        "memorization_threshold": 3.0,
    }


def call(metric, given: dict):
    return metric.compute(**{name: given[name] for name in metric.inputs})


def number(value):
    return value.value if isinstance(value, Measured) else value


def test_every_metric_is_registered_with_its_metadata():
    assert list(METRIC_REGISTRY) == ["fid", "kid", "precision", "recall", "class_kl", "classes_covered", "cond_acc",
                                     "memorization"]
    for key, metric in METRIC_REGISTRY.items():
        assert metric.key == key and metric.label and metric.explanation
        assert metric.better in ("lower", "higher")
        assert set(metric.inputs) <= set(INPUT_NAMES), key


@pytest.mark.parametrize("key", list(METRIC_REGISTRY))
def test_each_metric_is_a_pure_function_of_its_inputs(key):
    metric = METRIC_REGISTRY[key]
    given = synthetic_inputs(0)
    before = {k: v.copy() for k, v in given.items() if isinstance(v, np.ndarray)}
    first, again = call(metric, given), call(metric, synthetic_inputs(0))
    assert first == again  # the same inputs, the same figure (and details)
    assert all(np.array_equal(given[k], v) for k, v in before.items())  # inputs left untouched
    value = number(first)
    assert isinstance(value, (int, float)) and np.isfinite(value), (key, value)


def test_conditional_accuracy_has_no_figure_for_unconditional_samples():
    given = {**synthetic_inputs(0), "labels": np.full(60, -1)}
    assert number(call(METRIC_REGISTRY["cond_acc"], given)) is None


def test_a_subset_computes_only_what_it_needs(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("computed an input no chosen metric takes")

    monkeypatch.setattr(metric_inputs, "reference_set", never)  # the test set's features
    monkeypatch.setattr(metric_inputs, "nearest_neighbours", never)  # the search through the training set
    images = np.zeros((20, 28, 28), np.uint8)
    images[:, 8:20, 12:16] = 255  # twenty ones, more or less
    result = compute_metrics(images, np.full(20, 1), metrics=["cond_acc", "classes_covered"])
    assert set(result) == {"cond_acc", "classes_covered", "details"}
    assert list(scalars(result)) == ["classes_covered", "cond_acc"]  # table order, not the order asked in
    assert result["details"]["num"] == 20 and len(result["details"]["cond_acc_per_digit"]) == 10


@pytest.mark.bad_input("api", n=3)
def test_an_unknown_metric_is_a_clear_error_before_any_work():
    images, labels = np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.int64)
    for attempt in (lambda: compute_metrics(images, labels, metrics=("fid", "inception_score")),
                    lambda: real_floor(4, metrics=["bogus"]),
                    lambda: resolve_metrics("fidd")):
        with pytest.raises(ValueError, match=r"unknown metric\(s\) .*; known: fid, kid, precision") as e:
            attempt()
        assert "\n" not in str(e.value)


def test_a_new_metric_is_one_registered_function():
    @register_metric("ink", "ink", "higher", "mean pixel value of the samples")
    def ink(images):
        return float(images.mean() / 255)

    try:
        images = np.full((3, 28, 28), 51, np.uint8)
        result = compute_metrics(images, np.full(3, -1), metrics=["ink"])
        assert result["ink"] == pytest.approx(0.2) and scalars(result) == {"ink": result["ink"]}
    finally:
        del METRIC_REGISTRY["ink"]


@pytest.mark.bad_input("api", n=3)
def test_bad_registrations_are_refused():
    with pytest.raises(ValueError, match="registered twice"):
        register_metric("fid", "FID", "lower", "again")(lambda features: 0.0)
    with pytest.raises(ValueError, match="'lower' or 'higher'"):
        register_metric("x", "x", "smaller", "?")(lambda features: 0.0)
    with pytest.raises(ValueError, match=r"unknown input\(s\) \['pixels'\]"):
        register_metric("x", "x", "lower", "?")(lambda pixels: 0.0)
    assert "x" not in METRIC_REGISTRY


def test_metrics_record_is_the_info_json_block():
    result = {"fid": 12.5, "cond_acc": None, "details": {"num": 300}}
    floor = {"fid": 0.75, "cond_acc": 0.99, "details": {"num": 300}}
    record = metrics_record(result, floor, 300, 1, "mnistgan evaluate --model m --num 300 --seed 1")
    assert record["model"] == {"fid": 12.5, "cond_acc": None} and record["floor"] == {"fid": 0.75, "cond_acc": 0.99}
    assert record["num"] == 300 and record["seed"] == 1 and record["command"].startswith("mnistgan evaluate")
    assert isinstance(record["classifier"], str) and not {"source", "epoch", "step"} & set(record)
    during = metrics_record(result, floor, 300, 0, "mnistgan train", "300 samples from G_ema", epoch=2, step=40)
    assert during["source"] == "300 samples from G_ema" and during["epoch"] == 2 and during["step"] == 40

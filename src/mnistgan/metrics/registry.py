"""The metric registry: every quality figure is one small pure function, registered under its key.

    @register_metric("fid", "FID", "lower", "Fréchet distance to the test set's features")
    def fid(features, reference):
        return frechet_distance(*gaussian_stats(features), reference.mu, reference.sigma)

A metric function takes the inputs it needs by parameter name (see `inputs.py`
for the names and what they hold) and returns its number, or `Measured(number,
details)` when it has more to say (a standard deviation, a histogram); details
end up under a result's "details". A new metric is one registered function:
`mnistgan evaluate`, the real-data floor, the report and the model card pick it up.
Table order is registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from mnistgan.metrics.conditional import conditional_accuracy
from mnistgan.metrics.coverage import MIN_SHARE, class_histogram, kl_divergence
from mnistgan.metrics.coverage import classes_covered as count_covered
from mnistgan.metrics.fid import frechet_distance, gaussian_stats
from mnistgan.metrics.inputs import INPUT_NAMES, parameter_names
from mnistgan.metrics.kid import kid as kid_estimate
from mnistgan.metrics.memorization import memorized_fraction
from mnistgan.metrics.precision_recall import precision as manifold_precision
from mnistgan.metrics.precision_recall import recall as manifold_recall

MAX_PR_SAMPLES = 10_000  # precision/recall compare equal-size sets; the test set has 10,000 digits
KID_SUBSETS = 50
NUM_CLASSES = 10


@dataclass(frozen=True)
class Measured:
    """A metric's number plus the figures that explain it."""

    value: float | int | None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    better: str  # "lower" or "higher"
    explanation: str
    compute: Callable[..., float | int | None | Measured]

    @property
    def inputs(self) -> tuple[str, ...]:
        return parameter_names(self.compute)


METRIC_REGISTRY: dict[str, Metric] = {}


def register_metric(key: str, label: str, better: str, explanation: str):
    """Decorator: register `fn` as the metric `key` (its parameters must be input names of `inputs.py`)."""

    def register(fn: Callable) -> Callable:
        if key in METRIC_REGISTRY:
            raise ValueError(f"metric {key!r} is registered twice")
        if better not in ("lower", "higher"):
            raise ValueError(f"metric {key!r}: better must be 'lower' or 'higher', got {better!r}")
        unknown = [name for name in parameter_names(fn) if name not in INPUT_NAMES]
        if unknown:
            raise ValueError(f"metric {key!r} takes unknown input(s) {unknown}; known: {', '.join(INPUT_NAMES)}")
        METRIC_REGISTRY[key] = Metric(key, label, better, explanation, fn)
        return fn

    return register


def resolve_metrics(keys: Iterable[str] | None = None) -> list[Metric]:
    """The registered metrics named by `keys` (all of them if None), in table order; unknown keys are an error."""
    if keys is None:
        return list(METRIC_REGISTRY.values())
    if isinstance(keys, str):
        keys = (keys,)  # one name, not its letters
    wanted = set(keys)
    unknown = wanted - set(METRIC_REGISTRY)
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(sorted(unknown))}; known: {', '.join(METRIC_REGISTRY)}")
    return [m for m in METRIC_REGISTRY.values() if m.key in wanted]


# ---------------------------------------------------------------- the metrics


@register_metric("fid", "FID", "lower", "Fréchet distance to the test set's features")
def fid(features, reference):
    return frechet_distance(*gaussian_stats(features), reference.mu, reference.sigma)


@register_metric("kid", "KID", "lower", "kernel (MMD^2) distance to the test set's features")
def kid(features, reference, seed):
    mean, std = kid_estimate(features, reference.features, subsets=KID_SUBSETS, seed=seed)
    return Measured(mean, {"kid_std": std})


def _equal_size_sets(features, reference, seed) -> tuple[np.ndarray, np.ndarray]:
    """(real, generated) features of the same size: k-NN radii depend on how many points there are."""
    n = min(len(features), MAX_PR_SAMPLES)
    real = reference.features[np.random.default_rng(seed).permutation(len(reference.features))[:n]]
    return real, features[:n]


@register_metric("precision", "precision", "higher", "share of samples inside the real digits' k-NN manifold")
def precision(features, reference, seed):
    real, generated = _equal_size_sets(features, reference, seed)
    return Measured(manifold_precision(real, generated), {"precision_recall_samples": len(real)})


@register_metric("recall", "recall", "higher", "share of real digits inside the samples' k-NN manifold")
def recall(features, reference, seed):
    real, generated = _equal_size_sets(features, reference, seed)
    return Measured(manifold_recall(real, generated), {"precision_recall_samples": len(real)})


def _rounded_histogram(predictions) -> tuple[np.ndarray, list[float]]:
    histogram = class_histogram(predictions, NUM_CLASSES)
    return histogram, [round(float(v), 5) for v in histogram]


@register_metric("class_kl", "class KL", "lower", "KL(reference || sample class histogram), nats")
def class_kl(predictions, labels, reference):
    conditioned = labels >= 0
    # Conditional samples should follow the digits asked for; unconditional ones, the test set's classes.
    expected = (np.bincount(labels[conditioned], minlength=NUM_CLASSES) / conditioned.sum()
                if conditioned.any() else reference.class_distribution)
    histogram, shown = _rounded_histogram(predictions)
    return Measured(kl_divergence(expected, histogram), {"class_histogram": shown})


@register_metric("classes_covered", "classes covered", "higher", f"digits with >= {MIN_SHARE:.0%} of the samples")
def classes_covered(predictions):
    histogram, shown = _rounded_histogram(predictions)
    return Measured(count_covered(histogram), {"class_histogram": shown})


@register_metric("cond_acc", "conditional accuracy", "higher", "samples classified as the digit they were asked for")
def cond_acc(predictions, labels):
    accuracy, per_digit = conditional_accuracy(predictions, labels, NUM_CLASSES)
    return Measured(accuracy, {"cond_acc_per_digit": per_digit})


@register_metric("memorization", "memorization", "lower", "samples nearer a training digit than any held-out real digit")
def memorization(train_distance, memorization_threshold):
    return Measured(memorized_fraction(train_distance, memorization_threshold),
                    {"memorization_threshold": round(memorization_threshold, 5), "memorization_samples": len(train_distance),
                     "nearest_train_distance": round(float(np.min(train_distance)), 5)})

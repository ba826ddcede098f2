"""The metric registry: every quality figure of a set of digits, and the same figures for real data.

    from mnistgan.metrics import evaluate_samples, real_floor
    scores = evaluate_samples(images, labels, seed=0)   # uint8 (N, 28, 28), int64 (N,) (-1: unconditional)
    floor = real_floor(len(images), seed=0)              # the same metrics for N real training digits

Every comparison is against the MNIST test set, in the feature space of the
shipped classifier (`features.py`). The real-data floor is what real digits
score under the same sample sizes: no model should be expected to beat it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from mnistgan.metrics import conditional, coverage, memorization
from mnistgan.metrics.features import classifier_id, embed
from mnistgan.metrics.fid import frechet_distance, gaussian_stats
from mnistgan.metrics.kid import kid
from mnistgan.metrics.precision_recall import precision_recall
from mnistgan.metrics.reference import (HELD_OUT, memorization_threshold, metrics_cache_dir,
                                        nearest_train_to_test, reference_set, train_images)

MAX_PR_SAMPLES = 10_000  # precision/recall compare equal-size sets; the test set has 10,000 digits
KID_SUBSETS = 50
FLOOR_VERSION = 1  # bump when a metric's definition changes, so cached floors are recomputed


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    better: str  # "lower" or "higher"
    explanation: str


METRICS = [
    Metric("fid", "FID", "lower", "Fréchet distance to the test set's features"),
    Metric("kid", "KID", "lower", "kernel (MMD^2) distance to the test set's features"),
    Metric("precision", "precision", "higher", "share of samples inside the real digits' k-NN manifold"),
    Metric("recall", "recall", "higher", "share of real digits inside the samples' k-NN manifold"),
    Metric("class_kl", "class KL", "lower", "KL(reference || sample class histogram), nats"),
    Metric("classes_covered", "classes covered", "higher", f"digits with >= {coverage.MIN_SHARE:.0%} of the samples"),
    Metric("cond_acc", "conditional accuracy", "higher", "samples classified as the digit they were asked for"),
    Metric("memorization", "memorization", "lower", "samples nearer a training digit than any held-out real digit"),
]
ALL = tuple(m.key for m in METRICS)


def check_samples(images, labels) -> tuple[np.ndarray, np.ndarray]:
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must be uint8 [N, 28, 28], got {images.dtype} {list(images.shape)}")
    if labels.ndim != 1 or len(labels) != len(images) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers [N] with N = {len(images)}, got {labels.dtype} {list(labels.shape)}")
    if len(images) < 2:
        raise ValueError(f"need at least 2 samples, got {len(images)}")
    if labels.min() < -1 or labels.max() > 9:
        raise ValueError("labels must be digits 0-9, or -1 for unconditional samples")
    return images, labels.astype(np.int64)


def score(images, labels, seed: int = 0, metrics=ALL, pairs_path: str | os.PathLike | None = None) -> dict:
    """The chosen metrics of uint8 digits (N, 28, 28) with requested labels (N,), -1 where unconditional.

    Returns the scalar figures by metric key, plus "details" (class histogram,
    per-digit accuracy, sample count, memorization threshold). `pairs_path` saves
    the samples nearest to a training digit, each above it, as a PNG.
    """
    images, labels = check_samples(images, labels)
    unknown = set(metrics) - set(ALL)
    if unknown:
        raise ValueError(f"unknown metric(s) {sorted(unknown)}; known: {', '.join(ALL)}")
    ref = reference_set()
    features, logits = embed(images)
    predictions = logits.argmax(1)
    out: dict = {}
    details: dict = {"num": len(images)}
    if "fid" in metrics:
        out["fid"] = frechet_distance(*gaussian_stats(features), ref.mu, ref.sigma)
    if "kid" in metrics:
        out["kid"], out["kid_std"] = kid(features, ref.features, subsets=KID_SUBSETS, seed=seed)
    if "precision" in metrics or "recall" in metrics:
        n = min(len(features), MAX_PR_SAMPLES)
        real = ref.features[np.random.default_rng(seed).permutation(len(ref.features))[:n]]
        out["precision"], out["recall"] = precision_recall(real, features[:n])
        details["precision_recall_samples"] = n
    if "class_kl" in metrics or "classes_covered" in metrics:
        conditioned = labels >= 0
        # Conditional samples should follow the digits asked for; unconditional ones, the test set's classes.
        reference = (np.bincount(labels[conditioned], minlength=10) / conditioned.sum()
                     if conditioned.any() else ref.class_distribution)
        cov = coverage.mode_coverage(predictions, reference)
        out["class_kl"], out["classes_covered"] = cov["class_kl"], cov["classes_covered"]
        details["class_histogram"] = [round(v, 5) for v in cov["class_histogram"]]
    if "cond_acc" in metrics:
        out["cond_acc"], per_digit = conditional.conditional_accuracy(predictions, labels)
        details["cond_acc_per_digit"] = per_digit
    if "memorization" in metrics:
        train = train_images()
        distance, index = memorization.nearest_neighbours(images, train)
        threshold = memorization_threshold()
        out["memorization"] = memorization.memorized_fraction(distance, threshold)
        details.update(memorization_threshold=round(threshold, 5), nearest_train_distance=round(float(distance.min()), 5))
        if pairs_path is not None:
            memorization.save_worst_pairs(pairs_path, images, train, distance, index)
    out["details"] = details
    return out


def evaluate_samples(images, labels, seed: int = 0, metrics=ALL, pairs_path=None) -> dict:
    """Every metric (or the chosen ones) of generated digits against the MNIST test set."""
    return score(images, labels, seed, metrics, pairs_path)


def _floor_path(num: int, seed: int, metrics: tuple[str, ...]):
    tag = "" if set(metrics) == set(ALL) else "-" + "+".join(sorted(metrics))
    return metrics_cache_dir() / f"floor-v{FLOOR_VERSION}-{classifier_id()}-n{num}-s{seed}{tag}.json"


def real_floor(num: int, seed: int = 0, metrics=ALL) -> dict:
    """The same metrics for `num` real training digits (random, by `seed`) with their true labels.

    Memorization is the exception: real training digits are their own nearest
    neighbours (distance 0), so its floor uses up to `num` held-out test digits
    (test[0:5000]) instead. Cached per (num, seed, metrics, classifier) in the XDG cache.
    """
    from mnistgan.fileio import atomic_write_text

    metrics = tuple(m for m in ALL if m in metrics)
    path = _floor_path(num, seed, metrics)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    train = train_images()
    if not 2 <= num <= len(train):
        raise ValueError(f"the real-data floor needs 2..{len(train)} digits, got {num}")
    from mnistgan.data import load_mnist

    idx = np.sort(np.random.default_rng(seed).permutation(len(train))[:num])
    labels = load_mnist("train").labels.numpy()[idx]
    floor = score(train[idx], labels, seed, metrics=tuple(m for m in metrics if m != "memorization"))
    if "memorization" in metrics:
        held_out = np.arange(HELD_OUT.start, HELD_OUT.stop)
        held_out = np.sort(np.random.default_rng(seed).permutation(held_out)[: min(num, len(held_out))])
        distance = nearest_train_to_test()[0][held_out]  # shipped: no need to search the training set again
        threshold = memorization_threshold()
        floor["memorization"] = memorization.memorized_fraction(distance, threshold)
        floor["details"].update(memorization_threshold=round(threshold, 5), memorization_samples=len(held_out),
                                nearest_train_distance=round(float(distance.min()), 5))
    try:
        atomic_write_text(path, json.dumps(floor, indent=2) + "\n")
    except OSError:
        pass  # a read-only cache only costs the time to compute the floor again
    return floor


def scalars(result: dict) -> dict:
    """The registry's figures of a result, in table order (no details, no std)."""
    return {m.key: result[m.key] for m in METRICS if m.key in result}

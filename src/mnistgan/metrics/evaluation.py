"""Computing the registered metrics of a set of digits, and the same metrics for real data.

    from mnistgan.metrics.evaluation import compute_metrics, real_floor
    result = compute_metrics(images, labels, seed=0)   # uint8 (N, 28, 28), int64 (N,) (-1: unconditional)
    floor = real_floor(len(images), seed=0)            # the same metrics for N real training digits

Every comparison is against the MNIST test set, in the feature space of the
shipped classifier (`features.py`). The real-data floor is what real digits
score under the same sample sizes: no model should be expected to beat it.
The metrics themselves live in `registry.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from mnistgan.data import load_mnist
from mnistgan.fileio import atomic_write_text
from mnistgan.metrics.features import classifier_id
from mnistgan.metrics.inputs import MetricInputs, RealFloorInputs
from mnistgan.metrics.memorization import save_worst_pairs
from mnistgan.metrics.reference import metrics_cache_dir, train_images
from mnistgan.metrics.registry import METRIC_REGISTRY, Measured, Metric, resolve_metrics

FLOOR_VERSION = 2  # bump when a metric or the record's layout changes, so cached floors are recomputed


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


def measure(metrics: list[Metric], inputs: MetricInputs) -> dict:
    """{metric key: number, ..., "details": {...}}: each metric's function called on the inputs it names."""
    result: dict = {}
    details: dict = {"num": len(inputs.images)}
    for metric in metrics:
        value = metric.compute(**inputs.arguments_for(metric.compute))
        if isinstance(value, Measured):
            value, more = value.value, value.details
            details.update(more)
        result[metric.key] = value
    result["details"] = details
    return result


def compute_metrics(images, labels, seed: int = 0, metrics: Iterable[str] | None = None,
                    pairs_path: str | os.PathLike | None = None) -> dict:
    """The chosen registered metrics (all if None) of uint8 digits (N, 28, 28) with requested labels (N,),
    -1 where unconditional.

    Returns the figures by metric key, plus "details" (sample count, KID's spread,
    class histogram, per-digit accuracy, memorization threshold, ...). `pairs_path`
    saves the samples nearest to a training digit, each above it, as a PNG (with memorization only).
    """
    images, labels = check_samples(images, labels)
    chosen = resolve_metrics(metrics)
    inputs = MetricInputs(images, labels, seed)
    result = measure(chosen, inputs)
    if pairs_path is not None and "memorization" in result:
        save_worst_pairs(pairs_path, images, train_images(), *inputs.nearest_train)  # the search memorization made
    return result


def _floor_path(num: int, seed: int, metrics: tuple[str, ...]) -> Path:
    tag = "" if set(metrics) == set(METRIC_REGISTRY) else "-" + "+".join(sorted(metrics))
    return metrics_cache_dir() / f"floor-v{FLOOR_VERSION}-{classifier_id()}-n{num}-s{seed}{tag}.json"


def real_floor(num: int, seed: int = 0, metrics: Iterable[str] | None = None) -> dict:
    """The same metrics for `num` real training digits (random, by `seed`) with their true labels.

    Memorization is the exception: its distances to the training set come from up
    to `num` held-out test digits instead (see `RealFloorInputs`). Cached per
    (num, seed, metrics, classifier) in the XDG cache.
    """
    chosen = resolve_metrics(metrics)
    path = _floor_path(num, seed, tuple(m.key for m in chosen))
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    train = train_images()
    if not 2 <= num <= len(train):
        raise ValueError(f"the real-data floor needs 2..{len(train)} digits, got {num}")
    idx = np.sort(np.random.default_rng(seed).permutation(len(train))[:num])
    labels = load_mnist("train").labels.numpy()[idx]
    floor = measure(chosen, RealFloorInputs(train[idx], labels, seed))
    try:
        atomic_write_text(path, json.dumps(floor, indent=2) + "\n")
    except OSError:
        pass  # a read-only cache only costs the time to compute the floor again
    return floor


def scalars(result: dict) -> dict:
    """The registered metrics' figures of a result, in table order (no details)."""
    return {key: result[key] for key in METRIC_REGISTRY if key in result}


def metrics_record(result: dict, floor: dict, num: int, seed: int, command: str, source: str | None = None, *,
                   epoch: int | None = None, step: int | None = None) -> dict:
    """The metrics block of a model folder's info.json (its card's table), whoever measured them.

    `source` says where the samples came from when it is not "`num` samples, seed `seed`";
    `epoch` and `step` date an evaluation made during training. Keys that are None are left out.
    """
    record = {"model": scalars(result), "floor": scalars(floor), "num": num, "seed": seed,
              "classifier": classifier_id(), "command": command, "source": source, "epoch": epoch, "step": step}
    return {k: v for k, v in record.items() if v is not None}

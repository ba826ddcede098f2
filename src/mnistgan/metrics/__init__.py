"""Quality metrics in the feature space of mnistgan's own MNIST classifier.

One job per module: `features` (the classifier and `embed`), `fid`, `kid`,
`precision_recall`, `coverage`, `conditional`, `memorization` (pure functions
over arrays), `reference` (the cached real-data side), `evaluation` (the
registry: `evaluate_samples`, `real_floor`) and `training_hook` (FID during
training).
"""

from mnistgan.metrics.evaluation import METRICS, evaluate_samples, real_floor, scalars

__all__ = ["METRICS", "evaluate_samples", "real_floor", "scalars"]

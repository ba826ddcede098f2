"""Quality metrics in the feature space of mnistgan's own MNIST classifier.

One job per module: `features` (the classifier and `embed`), `fid`, `kid`,
`precision_recall`, `coverage`, `conditional`, `memorization` (pure functions
over arrays), `reference` (the cached real-data side), `inputs` (what metric
functions are computed from), `registry` (each metric as one registered
function, `METRIC_REGISTRY`) and `evaluation` (`compute_metrics`, `real_floor`,
`metrics_record`). Training's evaluation callback is `mnistgan.train.callbacks.Evaluation`.

Nothing is imported here: import the submodule you need by its full path, so
importing one of them never drags in the others.
"""

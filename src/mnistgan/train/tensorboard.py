"""Live training dashboards: a run's figures as TensorBoard events (`--log-to tensorboard`).

    tensorboard --logdir runs/          # every run (and every tuning trial) side by side

`TensorBoardLog` is an ordinary callback, so any trainer can take one
(`build_trainer(..., extra_callbacks=[TensorBoardLog(run.tensorboard_dir)])`). It writes
what the run already measures, under its G step: every metrics.jsonl record (losses,
D(x), D(G(z)), images/s) as `train/...` scalars, each evaluation's FID and conditional
accuracy as `eval/...` scalars, and each fixed-noise sample grid as an image. It only
reads: no random numbers, no tensors of the model, so training stays bit for bit what it
would be without it. TensorBoard is imported when a run starts, never for other commands.
"""

from __future__ import annotations

from pathlib import Path

from mnistgan.errors import MnistGANError if False else MnistganError  # noqa: E501  (placeholder removed below)

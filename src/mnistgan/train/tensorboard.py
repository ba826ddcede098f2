"""Live training dashboards: a run's figures as TensorBoard events (`--log-to tensorboard`).

    tensorboard --logdir runs/          # every run (and every tuning trial) side by side

`TensorBoardLog` is an ordinary callback, so any trainer can take one
(`build_trainer(..., extra_callbacks=[TensorBoardLog(run.tensorboard_dir)])`). At each
run's G step it writes what the run measures anyway: every metrics.jsonl record (losses,
D(x), D(G(z)), images/s) as `train/...` scalars, each evaluation's FID and conditional
accuracy as `eval/...` scalars, and each fixed-noise sample grid as an image. It only
reads what other parts computed: no random numbers, no passes through the model, so
training stays bit for bit what it is without it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mnistgan.errors import MnistganError
from mnistgan.grids import tile
from mnistgan.train.callbacks import SAMPLES_PER_ROW, Callback

NOT_SCALARS = ("step", "epoch")  # a record's position, not a figure


class TensorBoardLog(Callback):
    """Rank 0 writes event files into `log_dir`; the writer opens when training starts and closes however it ends."""

    def __init__(self, log_dir: str | Path):
        if importlib.util.find_spec("tensorboard") is None:  # refuse now, not after the data is loaded
            raise MnistganError("--log-to tensorboard needs the tensorboard package: pip install 'mnistgan[tensorboard]'")
        self.log_dir, self.writer, self.last_eval_step = Path(log_dir), None, None

    def on_train_start(self, trainer) -> None:
        if trainer.rank != 0:
            return
        from torch.utils.tensorboard import SummaryWriter  # seconds to import: only for runs that asked

        # Events after the step training continues from belong to a session that died before its next
        # checkpoint (a crash, a NaN): purge_step hides them, so a resumed run's curves do not fork.
        self.writer = SummaryWriter(str(self.log_dir), purge_step=trainer.progress.step + 1)

    def on_log(self, trainer, record: dict) -> None:
        if self.writer is not None:
            self._scalars("train", record, record["step"])

    def on_epoch_end(self, trainer, measured: dict) -> None:
        if self.writer is None:
            return
        step = trainer.progress.step
        record = measured.get("eval")
        if record is not None and step != self.last_eval_step:  # the end of training may repeat the last epoch's
            self.last_eval_step = step
            self._scalars("eval", record["model"], step)
            self._scalars("eval", record["floor"], step, suffix="_real_floor")
        if measured.get("samples") is not None:  # dark ink on white, a row per digit, as samples/epoch_NNN.png
            self.writer.add_image("samples/fixed_noise", tile(measured["samples"], SAMPLES_PER_ROW), step, dataformats="HW")
        self.writer.flush()  # an open dashboard shows the epoch now, not when the writer's queue fills

    on_train_end = on_epoch_end

    def on_close(self, trainer) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _scalars(self, group: str, values: dict, step: int, suffix: str = "") -> None:
        for key, value in values.items():
            if key not in NOT_SCALARS and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(f"{group}/{key}{suffix}", value, step)

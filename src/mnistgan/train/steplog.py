"""What a run reports as it steps: the progress bar, and a metrics.jsonl record every `log_every` G steps
(which the callbacks' `on_log` hears too)."""

from __future__ import annotations

import sys
import time

from tqdm.auto import tqdm

from mnistgan.train import state


class StepLog:
    """Losses, D(x), D(G(z)) and images/s over the window since the last record; NaN stops training here."""

    def __init__(self, trainer, total_g_steps: int):
        self.trainer = trainer
        self.bar = tqdm(total=total_g_steps, initial=trainer.progress.step, unit="step", dynamic_ncols=True,
                        desc="training", mininterval=0.5 if sys.stderr.isatty() else 30,  # rarely into a log file
                        disable=not (trainer.show_progress and trainer.rank == 0))
        self.window_start, self.window_images = time.perf_counter(), 0

    def __enter__(self) -> "StepLog":
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()

    def d_step(self, images: int) -> None:
        self.window_images += images

    def g_step(self, stats: dict) -> None:
        trainer, p = self.trainer, self.trainer.progress
        self.bar.update(1)
        if p.step % trainer.cfg.log_every:
            return
        state.check_finite(trainer, stats)
        rate = self.window_images / (time.perf_counter() - self.window_start)
        record = {k: round(float(v), 5) for k, v in stats.items()}
        record.update(step=p.step, epoch=p.epoch + 1, images_per_s=round(rate, 1))
        if trainer.rank == 0:
            trainer.run.append_metrics(record)
        for callback in trainer.callbacks:
            callback.on_log(trainer, record)
        # refresh=False: the bar redraws at its own pace
        self.bar.set_description(f"epoch {p.epoch + 1}/{trainer.cfg.epochs}", refresh=False)
        self.bar.set_postfix(loss_d=record["loss_d"], loss_g=record["loss_g"], img_s=f"{rate:,.0f}", refresh=False)
        self.window_start, self.window_images = time.perf_counter(), 0

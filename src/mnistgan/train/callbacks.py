"""What happens between epochs and at the end of training, one small callback each.

A callback has `on_epoch_end(trainer, measured)` and `on_train_end(trainer, measured)`;
each returns what it measured or decided as a dict (or None), which the loop
merges into `measured` and hands to the callbacks after it: `SampleGrids`
returns {"samples": digits} when it drew the grid, `Evaluation` returns
{"eval": record}, `BestModel` and `EarlyStop` read it, `EarlyStop` returns
{"stop": reason}. Nothing plants attributes on the trainer or re-reads files to
learn what another callback found. Three more hooks bracket a session and its
step log: `on_train_start`, `on_log(trainer, record)` (each metrics.jsonl record)
and `on_close`, which runs however training ends, so whatever a callback holds
open is released.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator

import numpy as np
import torch

from mnistgan.grids import save_grid
from mnistgan.nets import NUM_CLASSES
from mnistgan.metrics.evaluation import compute_metrics, metrics_record, real_floor
from mnistgan.plots import plot_training_curves
from mnistgan.provenance import command_line
from mnistgan.sampling import Sampler

SAMPLES_PER_ROW = 10  # the fixed-noise grid: a row per digit
# The evaluation's noise must not repeat the training or sample-grid noise.
EVAL_NOISE_SEED_OFFSET = 7_919
EVAL_METRICS = ("fid", "cond_acc")
# Redrawing losses.png takes a noticeable fraction of a second, time a GPU would wait: during
# training it is redrawn at most this often, and always at the end.
PLOT_EVERY_S = 30.0


class Callback:
    def on_train_start(self, trainer) -> None:
        """A session (a new run or a resumed one) is about to take its first step."""

    def on_log(self, trainer, record: dict) -> None:
        """The step log just wrote `record` (losses, D(x), D(G(z)), images/s) to metrics.jsonl."""

    def on_epoch_end(self, trainer, measured: dict) -> dict | None:
        return None

    def on_train_end(self, trainer, measured: dict) -> dict | None:
        return None

    def on_close(self, trainer) -> None:
        """Training is over however it ended (finished, stopped, Ctrl-C, an error): release files and writers."""


def run_callbacks(trainer, event: str) -> dict:
    """`on_epoch_end` or `on_train_end` of every callback in order; each sees what the earlier ones returned."""
    measured: dict = {}
    for callback in trainer.callbacks:
        measured.update(getattr(callback, event)(trainer, measured) or {})
    return measured


@contextlib.contextmanager
def callback_session(trainer) -> Iterator[None]:
    """Every callback's `on_train_start` now and its `on_close` however the session ends, so that
    what a callback opens is closed on Ctrl-C and errors too (also when a later `on_train_start` fails)."""
    try:
        for callback in trainer.callbacks:
            callback.on_train_start(trainer)
        yield
    finally:
        for callback in trainer.callbacks:
            callback.on_close(trainer)


def fixed_noise(seed: int, latent_dim: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's sample-grid inputs: ten noise vectors for each digit, a row per digit."""
    g = torch.Generator().manual_seed(seed + 1)  # not the training noise (seed) nor the evaluation's
    z = torch.randn(SAMPLES_PER_ROW * NUM_CLASSES, latent_dim, generator=g).to(device)
    return z, torch.arange(NUM_CLASSES).repeat_interleave(SAMPLES_PER_ROW).to(device)


class SampleGrids(Callback):
    """G_ema on the run's fixed noise (a row per digit) as samples/epoch_NNN.png and .npz."""

    def __init__(self, every: int):
        self.every = every

    @staticmethod
    def write(trainer) -> dict | None:
        if trainer.rank != 0:
            return None
        digits = Sampler(trainer.gan.G_ema, device=trainer.device).decode(trainer.fixed_z, trainer.fixed_labels)
        labels = trainer.fixed_labels.cpu().numpy()
        if not trainer.gan.conditional:
            labels = np.full_like(labels, -1)  # the grid's rows are not digits
        epoch = trainer.progress.epoch
        save_grid(digits, trainer.run.sample_grid_path(epoch), nrow=SAMPLES_PER_ROW, scale=2)
        trainer.run.write_sample_arrays(epoch, digits, labels)
        return {"samples": digits}

    def on_epoch_end(self, trainer, measured):
        if trainer.progress.epoch % self.every == 0 or trainer.progress.epoch == trainer.cfg.epochs:
            return self.write(trainer)
        return None

    def on_train_end(self, trainer, measured):
        p = trainer.progress
        if p.step_in_epoch or not trainer.run.sample_arrays_path(p.epoch).exists():
            return self.write(trainer)
        return None


class CurvePlot(Callback):
    """losses.png from metrics.jsonl, at most every `PLOT_EVERY_S` seconds during training."""

    def __init__(self, at_most_every_s: float = PLOT_EVERY_S):
        self.at_most_every_s, self.last = at_most_every_s, -math.inf

    def draw(self, trainer, force: bool = False) -> None:
        now = time.monotonic()
        if trainer.rank != 0 or (not force and now - self.last < self.at_most_every_s):
            return
        self.last = now
        records = trainer.run.read_metrics()
        if records:
            plot_training_curves(records, trainer.run.curves_path)

    def on_epoch_end(self, trainer, measured):
        self.draw(trainer)

    def on_train_end(self, trainer, measured):
        self.draw(trainer, force=True)


class Checkpoints(Callback):
    """A checkpoint every `every` epochs (the loop also saves one whenever training stops)."""

    def __init__(self, every: int):
        self.every = every

    def on_epoch_end(self, trainer, measured):
        if trainer.progress.epoch % self.every == 0 and trainer.progress.epoch < trainer.cfg.epochs:
            trainer.save_checkpoint()


class Evaluation(Callback):
    """FID and conditional accuracy of `num` G_ema digits every `every` epochs (0: only at the end).

    The noise comes from its own seeded generator, the same at every evaluation (epochs are
    compared on the same latent points), and never touches the global random state that
    exact resume depends on.
    """

    def __init__(self, every: int, num: int):
        self.every, self.num = every, min(max(num, 2), 60_000)
        self.last: dict | None = None  # (step, record): the end of training may be the epoch just scored

    def evaluate(self, trainer) -> dict:
        if self.last is not None and self.last["step"] == trainer.progress.step:
            return self.last
        seed = trainer.cfg.seed
        images, labels = Sampler(trainer.gan.G_ema, device=trainer.device).sample(self.num, seed=seed + EVAL_NOISE_SEED_OFFSET)
        progress = trainer.progress
        self.last = metrics_record(
            compute_metrics(images, labels, seed=seed, metrics=EVAL_METRICS),
            real_floor(self.num, seed=seed, metrics=EVAL_METRICS), self.num, seed, command_line(),
            source=f"{self.num} samples from G_ema during training (noise seed {seed} + {EVAL_NOISE_SEED_OFFSET})",
            epoch=progress.epoch, step=progress.step)
        model, floor = self.last["model"], self.last["floor"]
        trainer.run.append_metrics({"kind": "eval", "step": progress.step, "epoch": progress.epoch,
                                    "fid": model["fid"], "fid_floor": floor["fid"],
                                    "cond_acc": model.get("cond_acc"), "cond_acc_floor": floor.get("cond_acc")})
        acc = "" if model.get("cond_acc") is None else f", conditional accuracy {model['cond_acc']:.3f}"
        trainer.log(f"epoch {progress.epoch}, step {progress.step}: FID {model['fid']:.4g} "
                    f"(real digits: {floor['fid']:.4g}){acc}")
        return self.last

    def on_epoch_end(self, trainer, measured):
        if trainer.rank == 0 and self.every > 0 and trainer.progress.epoch % self.every == 0:
            return {"eval": self.evaluate(trainer)}

    def on_train_end(self, trainer, measured):
        if trainer.rank == 0:
            return {"eval": self.evaluate(trainer)}


class BestModel(Callback):
    """best/: the model folder of the evaluation with the lowest FID so far (over resumes too)."""

    def __init__(self, best_fid: float = math.inf):
        self.best_fid = best_fid

    def _keep_if_better(self, trainer, measured):
        record = measured.get("eval")
        if record is not None and record["model"]["fid"] < self.best_fid:
            self.best_fid = record["model"]["fid"]
            trainer.export(trainer.run.best_dir, record)
            return {"best": record}

    on_epoch_end = on_train_end = _keep_if_better


class EarlyStop(Callback):
    """Stop when `patience` evaluations in a row have not lowered the FID (GANs often get worse late).

    Counts from this session's start, so `--resume` continues past an early stop.
    """

    def __init__(self, patience: int):
        self.patience, self.best, self.stale = patience, math.inf, 0

    def on_epoch_end(self, trainer, measured):
        record = measured.get("eval")
        if record is None:
            return None
        fid = record["model"]["fid"]
        if fid < self.best:
            self.best, self.stale = fid, 0
            return None
        self.stale += 1
        if self.stale >= self.patience:
            return {"stop": f"early stop: FID has not improved on {self.best:.4g} for {self.stale} evaluations"}
        return None

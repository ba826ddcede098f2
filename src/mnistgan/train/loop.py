"""The training loop: epochs of steps over device-resident MNIST, callbacks between epochs, a model at the end.

    for each epoch (a fresh permutation from the data RNG; resumed mid-epoch: the same one, skipped ahead)
        for each batch: one D step, and every n_critic-th also a G step (train/step.py)
            log losses every `log_every` G steps; stop on Ctrl-C, --max-steps or --max-seconds
        callbacks: samples, evaluation, best/, early stop, curves, checkpoint (train/callbacks.py)
    save a checkpoint and export model/ from G_ema, however training stopped

Every stop (finished, a budget, early stop, Ctrl-C) leaves a checkpoint that
`--resume` continues from exactly, and a model folder to generate from.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from mnistgan import rng
from mnistgan.data import DeviceBatches, training_batches
from mnistgan.devices import describe, prepare_device
from mnistgan.errors import Interrupted
from mnistgan.gan import GAN, GANConfig
from mnistgan.model_folder import export_model
from mnistgan.train import state
from mnistgan.train.callbacks import Callback, callback_session, fixed_noise, run_callbacks
from mnistgan.train.graphs import build_step
from mnistgan.train.rundir import RunDir
from mnistgan.train.schedules import Schedule
from mnistgan.train.steplog import StepLog
from mnistgan.train.step import as_given
from mnistgan.train.stopping import StopSignal


class Trainer:
    def __init__(self, cfg, run_dir, callbacks: list[Callback] = (), log=print, progress: bool = True,
                 rank: int = 0, world_size: int = 1, stop: StopSignal | None = None):
        self.cfg, self.run, self.log, self.show_progress = cfg, RunDir(run_dir), log, progress
        self.rank, self.world_size = rank, world_size
        self.device, self.precision = prepare_device(cfg.device, cfg.precision)
        rng.seed_everything(cfg.seed)
        self.gan = GAN(GANConfig.from_options(cfg)).to(self.device)
        self.step_fn, self.runner = build_step(self.gan, cfg, self.device, self.precision, rank, world_size)
        self.data_gen = torch.Generator().manual_seed(cfg.seed)
        self.epoch_start_gen_state = self.data_gen.get_state()
        self.fixed_z, self.fixed_labels = fixed_noise(cfg.seed, cfg.latent_dim, self.device)  # for the sample grids
        self.progress = state.Progress()
        self.callbacks = list(callbacks)
        self.stop = stop or StopSignal()
        self.schedule = Schedule.from_options(cfg)
        self.total_d_steps = 0  # the run's planned D steps (set by fit); what schedules count down
        self._clock: float | None = time.perf_counter()  # summed into progress.elapsed at checkpoints

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """One D step (plus a G step every `n_critic`) on a gathered batch; None after a D-only step."""
        return self._advance(as_given, (real, labels))

    def train_batch(self, batches: DeviceBatches, idx: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """`train_step` on the batch at `idx`; under a CUDA graph the gather is replayed with the step."""
        return self._advance(batches.gather, (idx,))

    def _advance(self, prepare, inputs) -> dict[str, torch.Tensor] | None:
        p, n_critic = self.progress, self.cfg.n_critic
        g_step = (p.d_steps + 1) % n_critic == 0
        if self.schedule.active and self.total_d_steps:
            self.step_fn.follow(self.schedule, p.d_steps / self.total_d_steps)
        stats = self.runner.run(prepare, inputs, g_step, penalize=p.d_steps % self.cfg.reg_every == 0)
        p.d_steps += 1
        p.step += g_step
        return stats if g_step else None

    def fit(self) -> Path:
        """Train until `epochs`, `max_steps`, `max_seconds`, an early stop or Ctrl-C; returns the model folder."""
        cfg = self.cfg
        batches = training_batches(cfg, self.device, self.data_gen, self.rank, self.world_size)
        total_g = cfg.epochs * batches.steps_per_epoch // cfg.n_critic
        if cfg.max_steps is not None:
            total_g = min(cfg.max_steps, total_g)
        self.total_d_steps = total_g * cfg.n_critic
        if self.rank == 0:
            self.run.write_config(state.run_record(self))
        self.log(f"training {cfg.preset} on {describe(self.device)} ({self.precision}), "
                 f"{batches.steps_per_epoch} steps/epoch, run dir {self.run}")
        self._clock = time.perf_counter()
        with callback_session(self):  # on_train_start now, on_close however training ends (Ctrl-C, errors)
            with self.stop.listening(), StepLog(self, total_g) as steplog:
                reason = self._epochs(batches, steplog)
            return self._finish(reason)

    def _epochs(self, batches: DeviceBatches, steplog: StepLog) -> str:
        cfg, p = self.cfg, self.progress
        stats = None
        while p.epoch < cfg.epochs:
            if spent := budget_spent(self):
                return spent
            if p.step_in_epoch == 0:
                self.epoch_start_gen_state = self.data_gen.get_state()
            else:  # resumed mid-epoch: redraw the same permutation, then skip ahead
                self.data_gen.set_state(self.epoch_start_gen_state)
            for idx in batches.epoch_indices(skip_steps=p.step_in_epoch):
                step_stats = self.train_batch(batches, idx)
                p.step_in_epoch += 1
                steplog.d_step(cfg.batch_size * self.world_size)
                if step_stats is None:
                    continue
                stats = step_stats
                steplog.g_step(stats)
                if self.stop.requested():
                    return "interrupted"
                if spent := budget_spent(self):
                    return spent
            p.epoch, p.step_in_epoch = p.epoch + 1, 0
            state.check_finite(self, stats)
            measured = run_callbacks(self, "on_epoch_end")
            if "stop" in measured:
                self.log(measured["stop"])
                return "early_stop"
        return "finished"

    def _finish(self, reason: str) -> Path:
        """Every way out: a checkpoint, then the model folder; Ctrl-C skips the end-of-run evaluation."""
        state.check_finite(self, None)
        self.save_checkpoint()
        self._clock = None  # training time ends here: the final evaluation and export are not training
        if reason == "interrupted":
            model_dir = self.export(self.run.model_dir, None, stopped_by=reason)
            self.log(f"interrupted at step {self.progress.step}; checkpoint saved and model exported to {model_dir}. "
                     f"Resume with: mnistgan train --resume {self.run}")
            raise Interrupted(f"interrupted at step {self.progress.step}")
        measured = run_callbacks(self, "on_train_end")
        return self.export(self.run.model_dir, measured.get("eval"), stopped_by=reason)

    def training_seconds(self) -> float:
        """Training time over all sessions of this run, up to now (the clock stops when training does)."""
        return self.progress.elapsed + (time.perf_counter() - self._clock if self._clock is not None else 0.0)

    def export(self, model_dir: Path, metrics: dict | None, stopped_by: str | None = None) -> Path:
        """A model folder from G_ema as of now (rank 0 writes it), with the run's curves beside it."""
        if self.rank == 0:
            export_model(self.gan.G_ema, model_dir, state.training_summary(self, metrics, stopped_by), D=self.gan.D,
                         curves=self.run.curves_path)
        return model_dir

    def save_checkpoint(self) -> Path | None:
        if self.rank != 0:
            return None
        self.progress.elapsed = self.training_seconds()
        if self._clock is not None:
            self._clock = time.perf_counter()
        return state.save(self)


def budget_spent(trainer: Trainer) -> str | None:
    """Why training must stop now, if a budget (--max-steps, --max-seconds) is used up."""
    cfg = trainer.cfg
    if cfg.max_steps is not None and trainer.progress.step >= cfg.max_steps:
        return "max_steps"
    if cfg.max_seconds is not None and trainer.training_seconds() >= cfg.max_seconds:
        return "max_seconds"
    return None

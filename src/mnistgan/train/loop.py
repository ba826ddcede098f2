"""The training loop: epochs of steps over device-resident MNIST, callbacks between epochs, a model at the end.

    for each epoch (a fresh permutation from the data RNG; resumed mid-epoch: the same one, skipped ahead)
        for each batch: one D step, and every n_critic-th also a G step (train/step.py)
            log losses every `log_every` G steps; stop on Ctrl-C or --max-steps
        callbacks: samples, evaluation, best/, early stop, curves, checkpoint (train/callbacks.py)
    save a checkpoint and export model/ from G_ema, however training stopped

Every stop (finished, --max-steps, early stop, Ctrl-C) leaves a checkpoint that
`--resume` continues from exactly, and a model folder to generate from.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from mnistgan import checkpoint, rng
from mnistgan.data import MNIST, DeviceBatches, load_mnist
from mnistgan.devices import describe, prepare_device
from mnistgan.errors import Interrupted, ModelFileError
from mnistgan.gan import GAN, GANConfig
from mnistgan.grids import save_grid
from mnistgan.model_folder import export_model
from mnistgan.nets import NUM_CLASSES
from mnistgan.provenance import command_line, git_hash, versions
from mnistgan.presets import get_preset
from mnistgan.sampling import Sampler
from mnistgan.train import state
from mnistgan.train.callbacks import Callback
from mnistgan.train.graphs import EagerStep, GraphedStep, cuda_graphs_wanted
from mnistgan.train.rundir import RunDir
from mnistgan.train.step import TrainStep, as_given
from mnistgan.train.stopping import StopSignal

SAMPLES_PER_ROW = 10


class Trainer:
    def __init__(self, cfg, run_dir, callbacks: list[Callback] = (), log=print, progress: bool = True,
                 rank: int = 0, world_size: int = 1, stop: StopSignal | None = None):
        self.cfg, self.run, self.log, self.show_progress = cfg, RunDir(run_dir), log, progress
        self.rank, self.world_size = rank, world_size
        self.device, self.precision = prepare_device(cfg.device, cfg.precision)
        rng.seed_everything(cfg.seed)
        self.gan = GAN(GANConfig.from_options(cfg)).to(self.device)
        graphs = world_size == 1 and cuda_graphs_wanted(cfg, self.device, self.precision)
        self.step_fn = TrainStep(self.gan, cfg.lr_g, cfg.lr_d, (cfg.beta1, cfg.beta2), self.device, self.precision,
                                 capturable=graphs, rank=rank, world_size=world_size)
        self.runner = GraphedStep(self.step_fn, cfg.n_critic) if graphs else EagerStep(self.step_fn)
        self.data_gen = torch.Generator().manual_seed(cfg.seed)
        self.epoch_start_gen_state = self.data_gen.get_state()
        g = torch.Generator().manual_seed(cfg.seed + 1)  # fixed noise for the sample grids: a row per digit
        self.fixed_z = torch.randn(SAMPLES_PER_ROW * NUM_CLASSES, cfg.latent_dim, generator=g).to(self.device)
        self.fixed_labels = torch.arange(NUM_CLASSES).repeat_interleave(SAMPLES_PER_ROW).to(self.device)
        self.progress = state.Progress()
        self.callbacks = list(callbacks)
        self.stop = stop or StopSignal()
        self.total_d_steps = 0  # the run's planned D steps (set by fit); what --lr-decay counts down

    # ------------------------------------------------------------ steps

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """One D step (plus a G step every `n_critic`) on a gathered batch; None after a D-only step."""
        return self._advance(as_given, (real, labels))

    def train_batch(self, batches: DeviceBatches, idx: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """`train_step` on the batch at `idx`; under a CUDA graph the gather is replayed with the step."""
        return self._advance(batches.gather, (idx,))

    def _advance(self, prepare, inputs) -> dict[str, torch.Tensor] | None:
        p, n_critic = self.progress, self.cfg.n_critic
        g_step = (p.d_steps + 1) % n_critic == 0
        if self.cfg.lr_decay == "linear" and self.total_d_steps:
            self.step_fn.set_lr_fraction(1 - p.d_steps / self.total_d_steps)
        stats = self.runner.run(prepare, inputs, g_step)
        p.d_steps += 1
        p.step += g_step
        return stats if g_step else None

    # ------------------------------------------------------------ the loop

    def fit(self) -> Path:
        """Train until `epochs`, `max_steps`, an early stop or Ctrl-C; returns the exported model folder."""
        cfg, p = self.cfg, self.progress
        batches = self._batches()
        total_g = cfg.epochs * batches.steps_per_epoch // cfg.n_critic
        if cfg.max_steps is not None:
            total_g = min(cfg.max_steps, total_g)
        self.total_d_steps = total_g * cfg.n_critic
        self._write_run_config()
        self.log(f"training {cfg.preset} on {describe(self.device)} ({self.precision}), "
                 f"{batches.steps_per_epoch} steps/epoch, run dir {self.run}")
        bar = tqdm(total=total_g, initial=p.step, unit="step", dynamic_ncols=True, desc="training",
                   mininterval=0.5 if sys.stderr.isatty() else 30,  # rarely when stderr is a log file
                   disable=not (self.show_progress and self.rank == 0))
        self._clock = time.perf_counter()
        with self.stop.listening(), bar:
            reason = self._epochs(batches, bar)
        return self._finish(reason)

    def _epochs(self, batches: DeviceBatches, bar) -> str:
        cfg, p = self.cfg, self.progress
        window_start, window_images, stats = time.perf_counter(), 0, None
        while p.epoch < cfg.epochs:
            if self._reached_max_steps():
                return "max_steps"
            if p.step_in_epoch == 0:
                self.epoch_start_gen_state = self.data_gen.get_state()
            else:  # resumed mid-epoch: redraw the same permutation, then skip ahead
                self.data_gen.set_state(self.epoch_start_gen_state)
            for idx in batches.epoch_indices(skip_steps=p.step_in_epoch):
                step_stats = self.train_batch(batches, idx)
                p.step_in_epoch += 1
                window_images += cfg.batch_size * self.world_size
                if step_stats is None:
                    continue
                stats = step_stats
                bar.update(1)
                if p.step % cfg.log_every == 0:
                    self._log_step(stats, window_images / (time.perf_counter() - window_start), bar)
                    window_start, window_images = time.perf_counter(), 0
                if self.stop.requested():
                    return "interrupted"
                if self._reached_max_steps():
                    return "max_steps"
            p.epoch, p.step_in_epoch = p.epoch + 1, 0
            state.check_finite(self, stats)
            measured = self._callbacks("on_epoch_end")
            if "stop" in measured:
                self.log(measured["stop"])
                return "early_stop"
        return "finished"

    def _finish(self, reason: str) -> Path:
        """Every way out: a checkpoint, then the model folder; Ctrl-C skips the end-of-run evaluation."""
        state.check_finite(self, None)
        self.save_checkpoint()
        if reason == "interrupted":
            model_dir = self.export(self.run.model_dir, None, stopped_by=reason)
            self.log(f"interrupted at step {self.progress.step}; checkpoint saved and model exported to {model_dir}. "
                     f"Resume with: mnistgan train --resume {self.run}")
            raise Interrupted(f"interrupted at step {self.progress.step}")
        measured = self._callbacks("on_train_end")
        return self.export(self.run.model_dir, measured.get("eval"), stopped_by=reason)

    def _callbacks(self, event: str) -> dict:
        measured: dict = {}
        for callback in self.callbacks:
            measured.update(getattr(callback, event)(self, measured) or {})
        return measured

    def _batches(self) -> DeviceBatches:
        train = load_mnist("train", self.cfg.data_dir)
        if self.cfg.train_subset:
            train = MNIST(train.images[: self.cfg.train_subset], train.labels[: self.cfg.train_subset], "train")
        return DeviceBatches(train.to(self.device), self.cfg.batch_size, self.data_gen, self.rank, self.world_size)

    def _reached_max_steps(self) -> bool:
        return self.cfg.max_steps is not None and self.progress.step >= self.cfg.max_steps

    def _log_step(self, stats: dict, rate: float, bar) -> None:
        state.check_finite(self, stats)
        record = {k: round(float(v), 5) for k, v in stats.items()}
        record.update(step=self.progress.step, epoch=self.progress.epoch + 1, images_per_s=round(rate, 1))
        if self.rank == 0:
            self.run.append_metrics(record)
        # refresh=False: the bar redraws at its own pace (rarely when logging to a file)
        bar.set_description(f"epoch {self.progress.epoch + 1}/{self.cfg.epochs}", refresh=False)
        bar.set_postfix(loss_d=record["loss_d"], loss_g=record["loss_g"], img_s=f"{rate:,.0f}", refresh=False)

    def _write_run_config(self) -> None:
        if self.rank == 0:
            self.run.write_config({"config": self.cfg.to_dict(), "device": str(self.device),
                                   "hardware": describe(self.device), "precision": self.precision,
                                   "versions": versions(), "git": git_hash(), "command": command_line()})

    def _tick(self) -> None:
        """Add the time since the last tick to `elapsed` (training time summed over resumes)."""
        now = time.perf_counter()
        self.progress.elapsed += now - getattr(self, "_clock", now)
        self._clock = now

    # ------------------------------------------------------------ outputs

    def write_samples(self) -> None:
        if self.rank != 0:
            return
        digits = Sampler(self.gan.G_ema, device=self.device).decode(self.fixed_z, self.fixed_labels)
        labels = self.fixed_labels.cpu().numpy()
        if not self.gan.conditional:
            labels = np.full_like(labels, -1)  # the grid's rows are not digits
        epoch = self.progress.epoch
        save_grid(digits, self.run.sample_grid_path(epoch), nrow=SAMPLES_PER_ROW, scale=2)
        self.run.write_sample_arrays(epoch, digits, labels)

    def has_samples_for_now(self) -> bool:
        return self.progress.step_in_epoch == 0 and self.run.sample_arrays_path(self.progress.epoch).exists()

    def summary(self, metrics: dict | None = None, stopped_by: str | None = None) -> dict:
        """The model card's training facts (info.json)."""
        cfg, p = self.cfg, self.progress
        return {"preset": cfg.preset, "objective": get_preset(cfg.preset).objective,
                "epochs": p.epoch, "steps": p.step, "batch_size": cfg.batch_size, "seed": cfg.seed,
                "wall_time_s": round(p.elapsed, 1), "hardware": describe(self.device), "precision": self.precision,
                "config": cfg.to_dict(), "command": command_line(), "stopped_by": stopped_by, "metrics": metrics}

    def export(self, model_dir: Path, metrics: dict | None, stopped_by: str | None = None) -> Path:
        """A model folder from G_ema as of now (rank 0 writes it), with the run's curves beside it."""
        if self.rank == 0:
            export_model(self.gan.G_ema, model_dir, self.summary(metrics, stopped_by), D=self.gan.D,
                         curves=self.run.curves_path)
        return model_dir

    def save_checkpoint(self) -> Path | None:
        if self.rank != 0:
            return None
        state.check_finite(self, None, weights=True)
        self._tick()
        path = self.run.checkpoint_path(self.progress.step)
        tensors, meta = state.capture(self)
        try:
            checkpoint.save(path, tensors, meta)
        except OSError as e:
            raise ModelFileError(f"could not write checkpoint {path} ({e.strerror or e}); "
                                 "the previous checkpoint is intact") from None
        self.run.prune_checkpoints(self.cfg.keep_checkpoints)
        return path

    def load_state(self, tensors: dict, meta: dict, source) -> None:
        state.restore(self, tensors, meta, source)

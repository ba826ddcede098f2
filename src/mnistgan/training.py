"""The Trainer: one documented loop that trains every preset, with exact resume.

Per step: sample z, generate once, update D on (real, fake.detach()) -- in one
fused pass when D has no BatchNorm -- and, every `n_critic` D steps, update G
through D on the same fake batch (no second generator forward). G_ema tracks G
and is what samples, evaluation and the exported model use.

A run directory holds config.json, checkpoints/ (atomic safetensors files),
samples/epoch_NNN.png, metrics.jsonl, losses.png and the exported model/.
"""

from __future__ import annotations

import copy
import signal
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mnistgan import checkpoint, rng
from mnistgan.config import TrainConfig
from mnistgan.cuda_graphs import GraphedSteps, as_given, cuda_graphs_wanted
from mnistgan.data import MNIST, DeviceBatches, load_mnist, to_uint8
from mnistgan.devices import autocast, describe, keep_freed_memory, pick_device, pick_precision, use_tf32
from mnistgan.errors import Interrupted, ModelFileError, TrainingDiverged
from mnistgan.grids import save_grid
from mnistgan.objectives import gradient_penalty, make_objective
from mnistgan.presets import discriminator_for, generator_for, get_preset
from mnistgan.runlog import RunLog

SAMPLES_PER_ROW = 10
# Redrawing losses.png takes about 0.4 s, time the GPU waits: on an H100 that is ten mlp-gan epochs.
# During training it is redrawn with a sample grid at most this often, and always at the end.
PLOT_EVERY_S = 30.0


class Trainer:
    def __init__(self, cfg: TrainConfig, run_dir: Path, log=print, progress: bool = True,
                 rank: int = 0, world_size: int = 1):
        self.cfg, self.run_dir, self.log, self.progress = cfg, Path(run_dir), log, progress
        self.rank, self.world_size = rank, world_size
        self.preset = get_preset(cfg.preset)
        self.device = pick_device(cfg.device)
        self.precision = pick_precision(cfg.precision, self.device)
        if self.device.type == "cuda":
            use_tf32(self.precision == "tf32")
        if self.device.type == "cpu":
            keep_freed_memory()
        rng.seed_everything(cfg.seed)
        self.G = generator_for(self.preset, cfg.latent_dim, cfg.g_width).to(self.device)
        self.D = discriminator_for(self.preset, cfg.d_width).to(self.device)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        betas = (cfg.beta1, cfg.beta2)
        use_graphs = cuda_graphs_wanted(cfg, self.device, self.precision)
        # capturable: Adam keeps its step count on the GPU, as graph replay requires.
        # fused: one kernel per step instead of a dozen per tensor (Adam was 25% of a CPU step).
        fused = self.device.type in ("cpu", "cuda") or None
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=betas, capturable=use_graphs, fused=fused)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=betas, capturable=use_graphs, fused=fused)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        self.objective = make_objective(self.preset.objective, cfg.label_smoothing)
        # BatchNorm statistics would mix real and fake in a fused pass, changing the algorithm.
        self.fuse_d = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.D.modules())
        self.data_gen = torch.Generator().manual_seed(cfg.seed)
        self.epoch_start_gen_state = self.data_gen.get_state()
        # Fixed noise for progress grids: a row per class for conditional models.
        g = torch.Generator().manual_seed(cfg.seed + 1)
        self.fixed_z = torch.randn(SAMPLES_PER_ROW * 10, cfg.latent_dim, generator=g).to(self.device)
        self.fixed_labels = torch.arange(10).repeat_interleave(SAMPLES_PER_ROW).to(self.device)
        self.step = 0  # generator steps so far
        self.total_d_steps = 0  # the run's planned D steps, set by fit(); what --lr-decay counts down
        self.d_steps = 0
        self.epoch = 0  # completed epochs
        self.step_in_epoch = 0  # D steps into the current epoch (for mid-epoch resume)
        self.elapsed = 0.0  # training seconds over all sessions of this run
        self._stop_requested = False
        self.runlog = RunLog(self.run_dir, enabled=rank == 0)
        self.hooks: list = []  # callables (trainer) run after each epoch, e.g. evaluation
        self.graphs = GraphedSteps(self) if use_graphs else None
        self.ema_t = torch.zeros((), device=self.device)
        self._g_params, self._ema_params = list(self.G.parameters()), list(self.G_ema.parameters())
        self._g_buffers, self._ema_buffers = list(self.G.buffers()), list(self.G_ema.buffers())

    # ------------------------------------------------------------ steps

    def _d_out(self, x: torch.Tensor, y: torch.Tensor):
        return self.D(x, y if self.preset.conditional else None)

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """One D step, plus a G step every `n_critic` D steps. Returns device tensors (no sync)."""
        return self._advance(as_given, (real, labels))

    def train_batch(self, batches: DeviceBatches, idx: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """`train_step` on the batch at `idx`; under a CUDA graph the gather is replayed with the step."""
        return self._advance(batches.gather, (idx,))

    def _advance(self, prepare, inputs: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor] | None:
        g_step = (self.d_steps + 1) % self.cfg.n_critic == 0
        if self.cfg.lr_decay == "linear" and self.total_d_steps:
            self._set_learning_rates(1 - self.d_steps / self.total_d_steps)
        if self.graphs is not None:
            stats = self.graphs.run(prepare, inputs, g_step)
        else:
            stats = self.step_body(*prepare(*inputs), g_step)
        self.d_steps += 1
        if not g_step:
            return None
        self.step += 1
        return stats

    def _set_learning_rates(self, fraction: float) -> None:
        """Scale both learning rates; computed from the step count, so a resumed run gets the same ones."""
        for opt, lr in ((self.opt_g, self.cfg.lr_g), (self.opt_d, self.cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * fraction

    def step_body(self, real: torch.Tensor, labels: torch.Tensor, g_step: bool) -> dict[str, torch.Tensor]:
        """The arithmetic of one step, free of Python-side state so a CUDA graph can capture it."""
        cfg, B = self.cfg, real.shape[0]
        # Several processes (distributed.py): each draws the whole global batch's noise and keeps
        # its rows, so the ranks' generators stay in step. One process: the same draw as randn(B).
        z = torch.randn(B * self.world_size, cfg.latent_dim, device=self.device)[self.rank * B : (self.rank + 1) * B]
        with autocast(self.device, self.precision, cache=self.graphs is None):
            with torch.set_grad_enabled(g_step):
                fake = self.G(z, labels)
            if self.fuse_d:
                out = self._d_out(torch.cat([real, fake.detach()]), torch.cat([labels, labels]))
                real_out, fake_out = out[:B], out[B:]
            else:
                real_out, fake_out = self._d_out(real, labels), self._d_out(fake.detach(), labels)
            (real_out, real_cls), (fake_out, _) = self._split(real_out), self._split(fake_out)
            loss_d = self.objective.d_loss(real_out, fake_out)
            if real_cls is not None:  # AC-GAN: D learns to classify real digits
                loss_d = loss_d + cfg.aux_weight * F.cross_entropy(real_cls, labels)
        if self.objective.gradient_penalty:
            gp = gradient_penalty(self._d_out_fp32, real, fake.float(), labels)
            loss_d = loss_d + cfg.gp_weight * gp
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler.scale(loss_d).backward()
        self.scaler.step(self.opt_d)
        stats = {"loss_d": loss_d.detach(), "d_real": self.objective.score(real_out.detach()),
                 "d_fake": self.objective.score(fake_out.detach())}
        if g_step:
            # D's weights are frozen for the G step: its gradient flows through D to G, and the
            # D weight gradients nobody uses (a ninth of the step's matmuls) are never computed.
            self.D.requires_grad_(False)
            with autocast(self.device, self.precision, cache=self.graphs is None):
                fake_out, fake_cls = self._split(self._d_out(fake, labels))
                loss_g = self.objective.g_loss(fake_out)
                if fake_cls is not None:  # AC-GAN: G draws digits D reads as the label asked for
                    loss_g = loss_g + cfg.aux_weight * F.cross_entropy(fake_cls, labels)
            self.opt_g.zero_grad(set_to_none=True)
            self.scaler.scale(loss_g).backward()
            self.D.requires_grad_(True)
            self.scaler.step(self.opt_g)
            stats["loss_g"] = loss_g.detach()
            self._update_ema()
        self.scaler.update()
        return stats

    @staticmethod
    def _split(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's output -> (realism logits (B,) in fp32, class logits (B, 10) or None)."""
        out = out.float()
        return (out, None) if out.dim() == 1 else (out[:, 0], out[:, 1:])

    def _d_out_fp32(self, x, y):
        with torch.autocast(self.device.type, enabled=False):
            return self._d_out(x, y)

    @torch.no_grad()
    def _update_ema(self) -> None:
        """G_ema <- lerp(G_ema, G, 1 - decay).

        The decay ramps up as (1 + t) / (10 + t) so early samples are not
        dominated by the random init; under a CUDA graph `ema_t` counts generator steps on the device.
        Under a CUDA graph the decay must stay a device tensor; elsewhere a Python
        float lets one fused lerp pass do the update (three passes cost 8% of a CPU step).
        """
        if self.graphs is None:
            t = self.step + 1  # G steps including this one, known on the host: no device tensor needed
            decay = min((1 + t) / (10 + t), self.cfg.ema_decay)
            torch._foreach_lerp_(self._ema_params, self._g_params, 1 - decay)
        else:
            self.ema_t += 1
            decay = torch.clamp((1 + self.ema_t) / (10 + self.ema_t), max=self.cfg.ema_decay)
            # sub/mul/add rather than _foreach_lerp_, whose tensor-weight form syncs (not capturable).
            step = torch._foreach_sub(self._g_params, self._ema_params)
            torch._foreach_mul_(step, 1 - decay)
            torch._foreach_add_(self._ema_params, step)
        torch._foreach_copy_(self._ema_buffers, self._g_buffers)

    # ------------------------------------------------------------ loop

    def fit(self) -> Path:
        """Train until `epochs` (or `max_steps`), checkpointing; returns the exported model dir."""
        cfg = self.cfg
        train = load_mnist("train", cfg.data_dir)
        if cfg.train_subset:
            train = MNIST(train.images[: cfg.train_subset], train.labels[: cfg.train_subset], "train")
        train = train.to(self.device)
        batches = DeviceBatches(train, cfg.batch_size, self.data_gen, self.rank, self.world_size)
        total_d_steps = cfg.epochs * batches.steps_per_epoch
        total_g = total_d_steps // cfg.n_critic if cfg.max_steps is None else min(cfg.max_steps, total_d_steps // cfg.n_critic)
        self.total_d_steps = total_g * cfg.n_critic
        self.runlog.write_run_config(cfg, extra={"device": str(self.device), "hardware": describe(self.device),
                                                 "precision": self.precision})
        self.log(f"training {cfg.preset} on {describe(self.device)} ({self.precision}), "
                 f"{batches.steps_per_epoch} steps/epoch, run dir {self.run_dir}")
        bar = self.runlog.progress_bar(total_g, self.step, enabled=self.progress)
        previous = signal.signal(signal.SIGINT, self._request_stop) if self._main_thread() else None
        window_start, window_images, stats = time.perf_counter(), 0, None
        self._clock = time.perf_counter()
        try:
            while self.epoch < cfg.epochs and not self._done():
                if self.step_in_epoch == 0:
                    self.epoch_start_gen_state = self.data_gen.get_state()
                else:  # resumed mid-epoch: redraw the same permutation, then skip ahead
                    self.data_gen.set_state(self.epoch_start_gen_state)
                for idx in batches.epoch_indices(skip_steps=self.step_in_epoch):
                    step_stats = self.train_batch(batches, idx)
                    self.step_in_epoch += 1
                    window_images += cfg.batch_size * self.world_size
                    if step_stats is None:
                        continue
                    stats = step_stats
                    bar.update(1)
                    if self.step % cfg.log_every == 0:
                        self._check_finite(stats)
                        rate = window_images / (time.perf_counter() - window_start)
                        record = {k: round(float(v), 5) for k, v in stats.items()}
                        record.update(step=self.step, epoch=self.epoch + 1, images_per_s=round(rate, 1))
                        self.runlog.append_metrics(record)
                        # refresh=False: the bar redraws at its own pace (rarely when logging to a file)
                        bar.set_description(f"epoch {self.epoch + 1}/{cfg.epochs}", refresh=False)
                        bar.set_postfix(loss_d=record["loss_d"], loss_g=record["loss_g"], img_s=f"{rate:,.0f}",
                                        refresh=False)
                        window_start, window_images = time.perf_counter(), 0
                    if self._stop_requested or self._done():
                        break
                else:
                    self.epoch += 1
                    self.step_in_epoch = 0
                    self._end_of_epoch(stats)
                    continue
                break  # stopped mid-epoch by SIGINT or max_steps
            self._check_finite(stats)
            self.save_checkpoint()
            if self._stop_requested:
                self.log(f"interrupted at step {self.step}; checkpoint saved. Resume with: mnistgan train --resume {self.run_dir}")
                raise Interrupted(f"interrupted at step {self.step}")
            if not self._has_samples_for_now():
                self.write_samples()
            for hook in self.hooks:
                hook(self, final=True)
            self.runlog.plot()
            return self.export()
        finally:
            bar.close()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _end_of_epoch(self, stats: dict | None) -> None:
        cfg = self.cfg
        self._check_finite(stats)
        if self.epoch % cfg.sample_every == 0 or self.epoch == cfg.epochs:
            self.write_samples()
        for hook in self.hooks:
            hook(self, final=False)
        if self.epoch % cfg.checkpoint_every == 0 and self.epoch < cfg.epochs:
            self.save_checkpoint()

    def _has_samples_for_now(self) -> bool:
        return self.step_in_epoch == 0 and (self.run_dir / "samples" / f"epoch_{self.epoch:03d}.png").exists()

    def _tick(self) -> None:
        """Add the time since the last tick to `elapsed` (training time summed over resumes)."""
        now = time.perf_counter()
        self.elapsed += now - getattr(self, "_clock", now)
        self._clock = now

    def _done(self) -> bool:
        return self.cfg.max_steps is not None and self.step >= self.cfg.max_steps

    def _check_finite(self, stats: dict | None, weights: bool = False) -> None:
        """Stop on a NaN/inf loss. Checked at log steps and before every checkpoint: once
        Adam has taken a NaN step the weights stay NaN, so no bad step slips past into a checkpoint."""
        finite = stats is None or all(torch.isfinite(v).item() for v in stats.values())
        if finite and weights:
            finite = bool(torch.stack([p.isfinite().all() for p in (*self._g_params, *self.D.parameters())]).all())
        if not finite:
            last = checkpoint.list_checkpoints(self.run_dir / "checkpoints")
            kept = f"the last good checkpoint is kept: {last[-1]}" if last else "no checkpoint had been written yet"
            raise TrainingDiverged(f"a loss became NaN or infinite before step {self.step}; training stopped and {kept}. "
                                   "Lower --lr-g/--lr-d or change the preset.")

    def _request_stop(self, signum, frame) -> None:
        self._stop_requested = True

    @staticmethod
    def _main_thread() -> bool:
        import threading

        return threading.current_thread() is threading.main_thread()

    # ------------------------------------------------------------ outputs

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """G_ema samples as uint8 (B, 28, 28)."""
        return to_uint8(self.G_ema(z, labels))

    def write_samples(self) -> None:
        if self.rank != 0:
            return
        digits = self.generate(self.fixed_z, self.fixed_labels).cpu().numpy()
        save_grid(digits, self.run_dir / "samples" / f"epoch_{self.epoch:03d}.png", nrow=SAMPLES_PER_ROW, scale=2)
        self.runlog.plot(at_most_every_s=PLOT_EVERY_S)

    def export(self) -> Path:
        """Write model/ (config.json + model.safetensors + card) from G_ema."""
        from mnistgan.model_folder import export_model

        model_dir = self.run_dir / "model"
        if self.rank == 0:
            export_model(self.G_ema, model_dir, self.training_summary())
        return model_dir

    def training_summary(self) -> dict:
        return {"preset": self.cfg.preset, "objective": self.preset.objective, "epochs": self.epoch,
                "steps": self.step, "batch_size": self.cfg.batch_size, "seed": self.cfg.seed,
                "wall_time_s": round(self.elapsed, 1), "hardware": describe(self.device),
                "precision": self.precision, "config": self.cfg.to_dict(),
                "command": self.runlog.command_line(), "metrics": getattr(self, "final_metrics", None)}

    # ------------------------------------------------------------ checkpoints

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        tensors = {}
        for name in ("G", "D", "G_ema"):
            tensors.update(checkpoint.flatten_module(name, getattr(self, name)))
        opt_meta = {}
        for name in ("opt_g", "opt_d"):
            t, m = checkpoint.flatten_optimizer(name, getattr(self, name))
            tensors.update(t)
            opt_meta[name] = m
        rng_tensors, rng_meta = rng.capture({"data": self.data_gen})
        tensors.update(rng_tensors)
        tensors["data.epoch_start_state"] = self.epoch_start_gen_state
        tensors["fixed_z"], tensors["fixed_labels"] = self.fixed_z, self.fixed_labels
        meta = {"step": self.step, "d_steps": self.d_steps, "epoch": self.epoch, "step_in_epoch": self.step_in_epoch,
                "elapsed": self.elapsed, "config": self.cfg.to_dict(), "optimizers": opt_meta,
                "scaler": self.scaler.state_dict(), "rng": rng_meta}
        return tensors, meta

    def save_checkpoint(self) -> Path | None:
        if self.rank != 0:
            return None
        self._check_finite(None, weights=True)
        self._tick()
        directory = self.run_dir / "checkpoints"
        path = checkpoint.path_for(directory, self.d_steps)
        tensors, meta = self.state()
        try:
            checkpoint.save(path, tensors, meta)
        except OSError as e:
            raise ModelFileError(f"could not write checkpoint {path} ({e.strerror or e}); "
                                 "the previous checkpoint is intact") from None
        checkpoint.prune(directory, self.cfg.keep_checkpoints)
        return path

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict, source: Path) -> None:
        try:
            for name in ("G", "D", "G_ema"):
                getattr(self, name).load_state_dict(checkpoint.unflatten(name, tensors))
            for name in ("opt_g", "opt_d"):
                checkpoint.load_optimizer(getattr(self, name), name, tensors, meta["optimizers"][name])
            rng.restore(tensors, meta["rng"], {"data": self.data_gen})
            self.scaler.load_state_dict(meta["scaler"])
            self.epoch_start_gen_state = tensors["data.epoch_start_state"]
            self.fixed_z = tensors["fixed_z"].to(self.device)
            self.fixed_labels = tensors["fixed_labels"].to(self.device)
            for key in ("step", "d_steps", "epoch", "step_in_epoch", "elapsed"):
                setattr(self, key, meta[key])
            self.ema_t.fill_(self.step)
        except (KeyError, RuntimeError, ValueError) as e:
            raise ModelFileError(f"{source}: checkpoint does not match this model ({str(e).splitlines()[0]})") from None
        self.G_ema.eval()


def latest_checkpoint(run_dir: Path, log=print) -> tuple[dict, dict, Path]:
    """The newest checkpoint of a run that loads; corrupt newer ones are reported and skipped."""
    paths = checkpoint.list_checkpoints(Path(run_dir) / "checkpoints")
    if not paths:
        raise ModelFileError(f"{run_dir}: no checkpoints to resume from")
    skipped = []
    for path in reversed(paths):
        try:
            tensors, meta = checkpoint.load(path)
        except ModelFileError as e:
            skipped.append(str(e))
            continue
        for reason in skipped:
            log(f"skipping unreadable checkpoint: {reason}")
        return tensors, meta, path
    raise ModelFileError(f"{run_dir}: every checkpoint is unreadable (newest: {skipped[0]})")

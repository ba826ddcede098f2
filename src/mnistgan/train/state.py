"""A run's state: what a checkpoint holds, how a trainer is put back exactly where it was,
and the training facts a model card records.

Tensors: G, D, G_ema, both Adam states, the data-order RNG (and its state at the
start of the epoch, for mid-epoch resume), the fixed sample noise. JSON: the
counters, the config, optimizer hyperparameters, the loss scaler, Python/NumPy
RNG states. `checkpoint.py` writes them atomically into one safetensors file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch

from mnistgan import checkpoint, rng
from mnistgan.devices import describe
from mnistgan.errors import ModelFileError, TrainingDiverged
from mnistgan.presets import get_preset
from mnistgan.provenance import command_line, git_hash, versions
from mnistgan.train.rundir import RunDir


@dataclass
class Progress:
    step: int = 0  # generator steps so far
    d_steps: int = 0  # discriminator steps so far
    epoch: int = 0  # completed epochs
    step_in_epoch: int = 0  # D steps into the current epoch (mid-epoch resume skips them)
    elapsed: float = 0.0  # training seconds over all sessions of this run


def capture(trainer) -> tuple[dict[str, torch.Tensor], dict]:
    gan, step = trainer.gan, trainer.step_fn
    tensors = {}
    for name in ("G", "D", "G_ema"):
        tensors.update(checkpoint.flatten_module(name, getattr(gan, name)))
    optimizers, step_meta = step.state()
    opt_meta = {}
    for name, opt in optimizers.items():
        t, opt_meta[name] = checkpoint.flatten_optimizer(name, opt)
        tensors.update(t)
    rng_tensors, rng_meta = rng.capture({"data": trainer.data_gen})
    tensors.update(rng_tensors)
    tensors["data.epoch_start_state"] = trainer.epoch_start_gen_state
    tensors["fixed_z"], tensors["fixed_labels"] = trainer.fixed_z, trainer.fixed_labels
    meta = {**asdict(trainer.progress), "config": trainer.cfg.to_dict(), "optimizers": opt_meta,
            **step_meta, "rng": rng_meta}
    return tensors, meta


def restore(trainer, tensors: dict[str, torch.Tensor], meta: dict, source) -> None:
    gan, step = trainer.gan, trainer.step_fn
    try:
        for name in ("G", "D", "G_ema"):
            getattr(gan, name).load_state_dict(checkpoint.unflatten(name, tensors))
        optimizers, _ = step.state()
        for name, opt in optimizers.items():
            checkpoint.load_optimizer(opt, name, tensors, meta["optimizers"][name])
        rng.restore(tensors, meta["rng"], {"data": trainer.data_gen})
        trainer.epoch_start_gen_state = tensors["data.epoch_start_state"]
        trainer.fixed_z = tensors["fixed_z"].to(trainer.device)
        trainer.fixed_labels = tensors["fixed_labels"].to(trainer.device)
        trainer.progress = Progress(**{k: meta[k] for k in ("step", "d_steps", "epoch", "step_in_epoch", "elapsed")})
        step.load_state(meta, trainer.progress.step)
    except (KeyError, RuntimeError, ValueError) as e:
        raise ModelFileError(f"{source}: checkpoint does not match this model ({str(e).splitlines()[0]})") from None
    gan.G_ema.eval()


def save(trainer) -> Path:
    """Write a checkpoint after the current generator step, keeping the newest `keep_checkpoints`."""
    check_finite(trainer, None, weights=True)
    path = trainer.run.checkpoint_path(trainer.progress.step)
    tensors, meta = capture(trainer)
    try:
        checkpoint.save(path, tensors, meta)
    except OSError as e:
        raise ModelFileError(f"could not write checkpoint {path} ({e.strerror or e}); "
                             "the previous checkpoint is intact") from None
    trainer.run.prune_checkpoints(trainer.cfg.keep_checkpoints)
    return path


def hardware(device) -> str:
    """The device, and on a CPU how many threads training used (OMP_NUM_THREADS may leave cores to others)."""
    threads = torch.get_num_threads()
    return describe(device) + (f", {threads} thread{'s' if threads > 1 else ''}" if device.type == "cpu" else "")


def run_record(trainer) -> dict:
    """config.json: the resolved options and where the run ran, with what code."""
    return {"config": trainer.cfg.to_dict(), "device": str(trainer.device), "hardware": hardware(trainer.device),
            "precision": trainer.precision, "versions": versions(), "git": git_hash(), "command": command_line()}


def training_summary(trainer, metrics: dict | None = None, stopped_by: str | None = None) -> dict:
    """The model card's training facts (info.json)."""
    cfg, p = trainer.cfg, trainer.progress
    return {"preset": cfg.preset, "objective": get_preset(cfg.preset).objective,
            "epochs": p.epoch, "steps": p.step, "batch_size": cfg.batch_size, "seed": cfg.seed,
            "wall_time_s": round(trainer.training_seconds(), 1), "hardware": hardware(trainer.device),
            "precision": trainer.precision,
            "config": cfg.to_dict(), "command": command_line(), "stopped_by": stopped_by, "metrics": metrics}


def latest_checkpoint(run: RunDir, log: Callable[[str], None] = print) -> tuple[dict, dict, object]:
    """The newest checkpoint of a run that loads; corrupt newer ones are reported and skipped."""
    paths = run.checkpoints()
    if not paths:
        raise ModelFileError(f"{run}: no checkpoints to resume from")
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
    raise ModelFileError(f"{run}: every checkpoint is unreadable (newest: {skipped[0]})")


def check_finite(trainer, stats: dict | None, weights: bool = False) -> None:
    """Stop on a NaN/inf loss. Checked at log steps and before every checkpoint: once Adam has
    taken a NaN step the weights stay NaN, so no bad step slips past into a checkpoint."""
    finite = stats is None or all(torch.isfinite(v).item() for v in stats.values())
    if finite and weights:
        params = (*trainer.gan.G.parameters(), *trainer.gan.D.parameters())
        finite = bool(torch.stack([p.isfinite().all() for p in params]).all())
    if not finite:
        last = trainer.run.checkpoints()
        kept = f"the last good checkpoint is kept: {last[-1]}" if last else "no checkpoint had been written yet"
        raise TrainingDiverged(f"a loss became NaN or infinite before step {trainer.progress.step}; training stopped "
                               f"and {kept}. Lower --lr-g/--lr-d or change the preset.")

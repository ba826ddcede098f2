"""Starting or resuming a training run: resolve options, pick the run dir, build the Trainer."""

from __future__ import annotations

import time
from pathlib import Path

from mnistgan import config as config_mod
from mnistgan.errors import MnistganError
from mnistgan.fileio import writable_dir

# On resume, only these may differ from the original run (to extend or re-pace it);
# everything else comes from the checkpoint so the run continues exactly.
RESUMABLE_OVERRIDES = ("epochs", "max_steps", "checkpoint_every", "sample_every", "eval_every", "log_every",
                       "device", "data_dir")


def default_run_dir(preset: str) -> Path:
    return Path("runs") / f"{preset}-{time.strftime('%Y%m%d-%H%M%S')}"


def build_trainer(preset, config_file, overrides: dict, out, resume, log=print, progress=True, rank=0, world_size=1):
    from mnistgan.training import Trainer, latest_checkpoint

    if resume is not None:
        if out is not None and Path(out) != Path(resume):
            raise MnistganError("--resume continues a run in place; drop --out")
        tensors, meta, path = latest_checkpoint(Path(resume), log)
        writable_dir(resume, what="run directory")  # not minutes later, at the first file training writes
        values = dict(meta["config"])
        changed = {k: v for k, v in overrides.items() if v is not None and v != values.get(k)}
        fixed = sorted(set(changed) - set(RESUMABLE_OVERRIDES))
        if fixed or preset not in (None, values["preset"]) or config_file:
            raise MnistganError(f"cannot change {', '.join(fixed) or 'the preset/config'} when resuming; "
                                f"only {', '.join(RESUMABLE_OVERRIDES)} may change")
        values.update(changed)
        cfg = config_mod.TrainConfig(**values).validate()
        trainer = Trainer(cfg, Path(resume), log=log, progress=progress, rank=rank, world_size=world_size)
        trainer.load_state(tensors, meta, path)
        log(f"resuming {resume} from {path.name} (epoch {trainer.epoch}, step {trainer.step})")
        return with_eval_hook(trainer)
    cfg = config_mod.resolve(preset, config_file, **overrides)
    run_dir = Path(out) if out is not None else default_run_dir(cfg.preset)
    if run_dir.exists() and any((run_dir / "checkpoints").glob("*.safetensors")):
        raise MnistganError(f"{run_dir} already holds a run; use --resume {run_dir} or another --out")
    writable_dir(run_dir, what="run directory")
    return with_eval_hook(Trainer(cfg, run_dir, log=log, progress=progress, rank=rank, world_size=world_size))


def with_eval_hook(trainer):
    """FID every `eval_every` epochs and at the end (metrics/training_hook.py)."""
    from mnistgan.metrics.training_hook import make_eval_hook

    trainer.hooks.append(make_eval_hook(trainer.cfg.eval_every, trainer.cfg.eval_samples))
    return trainer


def run_training(preset, config_file, overrides: dict, out, resume, log=print, progress=True) -> Path:
    trainer = build_trainer(preset, config_file, overrides, out, resume, log, progress)
    return trainer.fit()

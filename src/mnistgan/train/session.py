"""Starting or resuming a training run: resolve the options, pick the run directory, assemble the Trainer."""

from __future__ import annotations

import math
import time
from pathlib import Path

from mnistgan import config as config_mod
from mnistgan.errors import MnistganError
from mnistgan.fileio import writable_dir
from mnistgan.model_folder import read_info
from mnistgan.train.callbacks import BestModel, Callback, Checkpoints, CurvePlot, EarlyStop, Evaluation, SampleGrids
from mnistgan.train.loop import Trainer
from mnistgan.train.rundir import RunDir
from mnistgan.train.state import latest_checkpoint, restore
from mnistgan.train.tensorboard import TensorBoardLog

# On resume, only these may differ from the original run (to extend or re-pace it);
# everything else comes from the checkpoint so the run continues exactly.
RESUMABLE_OVERRIDES = ("epochs", "max_steps", "max_seconds", "checkpoint_every", "sample_every", "eval_every", "log_every",
                       "early_stop", "device", "data_dir", "log_to")


def default_run_dir(preset: str) -> Path:
    return Path("runs") / f"{preset}-{time.strftime('%Y%m%d-%H%M%S')}"


def standard_callbacks(cfg, run: RunDir) -> list[Callback]:
    """Samples, evaluation, best/, early stop, curves, checkpoints (and dashboards): in this order, since
    later ones read what earlier ones measured (the curves include the evaluation just made)."""
    callbacks: list[Callback] = [SampleGrids(cfg.sample_every), Evaluation(cfg.eval_every, cfg.eval_samples),
                                 BestModel(previous_best_fid(run))]
    if cfg.early_stop:
        callbacks.append(EarlyStop(cfg.early_stop))
    callbacks += [CurvePlot(), Checkpoints(cfg.checkpoint_every)]
    if cfg.log_to == "tensorboard":
        callbacks.append(TensorBoardLog(run.tensorboard_dir))
    return callbacks


def previous_best_fid(run: RunDir) -> float:
    """The FID of the run's best/ model so far (a resumed run keeps improving on it)."""
    try:
        return float(read_info(run.best_dir)["metrics"]["model"]["fid"])
    except (MnistganError, KeyError, TypeError, ValueError):
        return math.inf


def resumed_config(run: RunDir, meta: dict, preset, config_file, overrides: dict):
    values = dict(meta["config"])
    changed = {k: v for k, v in overrides.items() if v is not None and v != values.get(k)}
    fixed = sorted(set(changed) - set(RESUMABLE_OVERRIDES))
    if fixed or preset not in (None, values["preset"]) or config_file:
        raise MnistganError(f"cannot change {', '.join(fixed) or 'the preset/config'} when resuming; "
                            f"only {', '.join(RESUMABLE_OVERRIDES)} may change")
    values.update(changed)
    return config_mod.TrainConfig(**values).validate()


def build_trainer(preset, config_file, overrides: dict, out, resume, log=print, progress=True, rank=0, world_size=1,
                  extra_callbacks: list[Callback] = (), stop=None) -> Trainer:
    """A Trainer for a new run in `out` (or a timestamped runs/ folder), or for `resume`d one."""
    if resume is not None:
        if out is not None and Path(out) != Path(resume):
            raise MnistganError("--resume continues a run in place; drop --out")
        run = RunDir(resume)
        tensors, meta, path = latest_checkpoint(run, log)
        writable_dir(resume, what="run directory")  # not minutes later, at the first file training writes
        cfg = resumed_config(run, meta, preset, config_file, overrides)
    else:
        cfg = config_mod.resolve(preset, config_file, **overrides)
        run = RunDir(out if out is not None else default_run_dir(cfg.preset))
        if run.has_checkpoints():
            raise MnistganError(f"{run} already holds a run; use --resume {run} or another --out")
        writable_dir(run.root, what="run directory")
    callbacks = standard_callbacks(cfg, run) + list(extra_callbacks)
    trainer = Trainer(cfg, run.root, callbacks, log=log, progress=progress, rank=rank, world_size=world_size,
                      stop=stop)
    if resume is not None:
        restore(trainer, tensors, meta, path)
        log(f"resuming {resume} from {path.name} (epoch {trainer.progress.epoch}, step {trainer.progress.step})")
    return trainer


def run_training(preset, config_file, overrides: dict, out, resume, log=print, progress=True) -> Path:
    return build_trainer(preset, config_file, overrides, out, resume, log, progress).fit()

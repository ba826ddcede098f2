"""Hyperparameter search with Optuna, scored by sample quality rather than by the generator's loss.

    settings = SweepSettings(preset="dcgan", trials=20, out=Path("runs/tune-dcgan"))
    study = run_sweep(settings)          # resumes the study if it exists
    export_results(study, settings)      # best_config.json, plots, summary table

Each trial trains the preset with values from its search space
(`search_spaces.py`) for `epochs_per_trial` epochs, with the training
evaluation callback (`train/callbacks.py`) scoring `eval_samples` digits from G_ema
against the MNIST test set after every epoch. That epoch-wise score is reported
to Optuna, whose pruner (median or Hyperband) stops hopeless trials early; the
trial's value is the score after its last epoch:

    unconditional presets:  FID
    conditional presets:    FID * (1 + 10 * (1 - conditional accuracy))

so a conditional model that draws good digits of the wrong class scores badly
(at 90% accuracy the FID counts double). One scalar keeps pruning and "the
best trial" well defined, which Optuna's multi-objective studies do not.

A new study's first trial is the preset's own values (the baseline the
others have to beat); the TPE sampler proposes the rest.

The study lives in an Optuna RDB storage: a SQLite file `study.db` in the
sweep directory by default, or any SQLAlchemy URL (`postgresql+psycopg2://...`)
that several workers on several machines share. Finished trials are committed
as they end, so an interrupted sweep loses only the trial in flight, and
running the same command again continues the study up to `trials` finished
(completed or pruned) trials in total.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mnistgan.errors import MnistganError, TrainingDiverged
from mnistgan.fileio import atomic_write_text, writable_dir
from mnistgan.formatting import fmt
from mnistgan.train.callbacks import Callback
from mnistgan.train.session import build_trainer

COND_ACC_WEIGHT = 10.0
PRUNERS = ("median", "hyperband", "none")
# TrainConfig fields that say how a run is carried out, not what it trains: left out of best_config.json.
RUN_FIELDS = ("epochs", "max_steps", "device", "precision", "cuda_graphs", "checkpoint_every", "sample_every",
              "eval_every", "eval_samples", "log_every", "keep_checkpoints", "data_dir", "train_subset", "log_to")
# Fixed options that may differ between the workers of one study (they do not change the score).
MACHINE_FIELDS = ("device", "data_dir", "log_to")


def objective_value(fid: float, cond_acc: float | None) -> float:
    """The number a trial minimizes (see the module docstring)."""
    if cond_acc is None:
        return float(fid)
    return float(fid) * (1.0 + COND_ACC_WEIGHT * (1.0 - float(cond_acc)))


@dataclass
class SweepSettings:
    preset: str
    trials: int
    out: Path
    storage: str | None = None  # None: SQLite file out/study.db
    study: str | None = None  # None: the preset's name
    epochs_per_trial: int = 3
    eval_samples: int = 2000
    timeout: float | None = None  # seconds; no new trial starts after it
    pruner: str = "median"
    # TrainConfig values every trial keeps (and the search space leaves alone): widths, seed, train_subset ...
    fixed: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from mnistgan.config import TrainConfig
        from mnistgan.presets import get_preset

        get_preset(self.preset)
        self.out = Path(self.out)
        self.study = self.study or self.preset
        if self.trials < 1 or self.epochs_per_trial < 1 or self.eval_samples < 2:
            raise MnistganError("--trials and --epochs-per-trial must be at least 1, --eval-samples at least 2")
        if self.pruner not in PRUNERS:
            raise MnistganError(f"--pruner must be one of {', '.join(PRUNERS)}, not {self.pruner!r}")
        known = {f.name for f in fields(TrainConfig)}
        unknown = sorted(set(self.fixed) - known)
        if unknown:
            raise MnistganError(f"unknown training option(s) {', '.join(unknown)}")
        self.fixed = {k: v for k, v in self.fixed.items() if v is not None}

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.out / 'study.db').resolve()}"

    def signature(self) -> dict[str, Any]:
        """What makes trials comparable; every worker (and every resume) of a study must agree on it."""
        fixed = {k: v for k, v in sorted(self.fixed.items()) if k not in MACHINE_FIELDS}
        return {"preset": self.preset, "epochs_per_trial": self.epochs_per_trial,
                "eval_samples": self.eval_samples, "fixed": fixed, "objective": objective_doc(self.preset)}


def objective_doc(preset: str) -> str:
    from mnistgan.presets import get_preset

    if get_preset(preset).conditional:
        return f"FID * (1 + {COND_ACC_WEIGHT:g} * (1 - conditional accuracy))"
    return "FID"


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def open_study(settings: SweepSettings):
    """Create the study, or load it (load_if_exists) after checking it was run with the same settings."""
    import optuna

    _quiet_optuna()
    # Every worker writes trials/ and the results there, whatever the storage: refuse a bad --out now.
    writable_dir(settings.out, what="sweep directory")
    storage = _open_storage(settings.storage_url)
    if settings.pruner == "median":
        pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    elif settings.pruner == "hyperband":
        pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=settings.epochs_per_trial)
    else:
        pruner = optuna.pruners.NopPruner()
    # Unseeded on purpose: workers sharing a study must not propose the same points.
    sampler = optuna.samplers.TPESampler(n_startup_trials=5)
    study = optuna.create_study(study_name=settings.study, storage=storage, sampler=sampler, pruner=pruner,
                                direction="minimize", load_if_exists=True)
    wanted = json.loads(json.dumps(settings.signature()))
    found = study.user_attrs.get("settings")
    if found is None:
        study.set_user_attr("settings", wanted)
        # The first trial is the recipe as published: the baseline every other trial has to beat.
        study.enqueue_trial(preset_defaults(settings), user_attrs={"baseline": True}, skip_if_exists=True)
    elif found != wanted:
        diff = sorted(k for k in set(found) | set(wanted) if found.get(k) != wanted.get(k))
        raise MnistganError(f"study {settings.study!r} in {_show_url(settings.storage_url)} was run with other settings "
                            f"({', '.join(f'{k}: {found.get(k)} there, {wanted.get(k)} here' for k in diff)}); "
                            "use the same options, or another --study / --out")
    return study


class _Defaults:
    """Stands in for a trial: answers every suggestion with the preset's default."""

    def __init__(self, defaults: dict[str, Any]):
        self.defaults = defaults

    def suggest_float(self, name, *args, **kwargs):
        return self.defaults[name]

    suggest_int = suggest_categorical = suggest_float


def preset_defaults(settings: SweepSettings) -> dict[str, Any]:
    """The preset's own values of the parameters its search space explores (fixed ones left out)."""
    from mnistgan.config import TrainConfig
    from mnistgan.presets import get_preset
    from mnistgan.search_spaces import SEARCH_SPACES, Space

    preset = get_preset(settings.preset)
    space = Space(_Defaults({**TrainConfig().to_dict(), **preset.defaults}), settings.fixed)
    SEARCH_SPACES[preset.name](space)
    return space.values


def _open_storage(url: str, attempts: int = 5):
    """Optuna's RDBStorage; retried a few times, since workers started together race to create its tables."""
    import optuna
    import sqlalchemy.exc

    for attempt in range(attempts):
        try:
            # Heartbeats let the other workers fail the trial of a worker that died, instead of waiting on it.
            return optuna.storages.RDBStorage(url, heartbeat_interval=60, grace_period=180)
        except sqlalchemy.exc.DBAPIError as e:  # IntegrityError from a concurrent CREATE TABLE, a busy server...
            error = e
            time.sleep(0.5 * (attempt + 1))
        except Exception as e:  # bad URL, missing driver: one line, not a traceback
            error = e
            break
    raise MnistganError(f"cannot open the study storage {_show_url(url)!r} "
                        f"({str(error).splitlines()[0] if str(error) else type(error).__name__})") from None


def _show_url(url: str) -> str:
    """The storage URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def finished(study) -> list:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))


class TrialReporter(Callback):
    """After the evaluation callback: report each epoch's score to Optuna, stop hopeless trials,
    and keep the final evaluation for the trial's result."""

    def __init__(self, trial):
        self.trial, self.final = trial, None

    def on_epoch_end(self, trainer, measured):
        record = measured.get("eval")
        if record is None or trainer.rank != 0:
            return None
        epoch = trainer.progress.epoch
        value = objective_value(record["model"]["fid"], record["model"].get("cond_acc"))
        self.trial.report(value, epoch)
        # After the last epoch the trial is finished: its score counts, whatever the pruner thinks.
        if epoch < trainer.cfg.epochs and self.trial.should_prune():
            import optuna

            raise optuna.TrialPruned(f"score {value:.4g} after epoch {epoch}")
        return None

    def on_train_end(self, trainer, measured):
        self.final = measured.get("eval")


def trial_runner(settings: SweepSettings, log=print):
    """Optuna's objective: train one trial's configuration and return its score."""
    import optuna

    from mnistgan.search_spaces import SEARCH_SPACES, Space

    def objective(trial) -> float:
        space = Space(trial, settings.fixed)
        SEARCH_SPACES[settings.preset](space)
        overrides = {**settings.fixed, **space.values, "epochs": settings.epochs_per_trial, "eval_every": 1,
                     "eval_samples": settings.eval_samples, "checkpoint_every": settings.epochs_per_trial}
        run_dir = settings.out / "trials" / f"{settings.study}-{trial.number:04d}"
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        trial.set_user_attr("run_dir", str(run_dir.resolve()))
        params = ", ".join(f"{k}={fmt(v)}" for k, v in space.values.items())
        log(f"trial {trial.number}: {params}")
        reporter = TrialReporter(trial)
        trainer = build_trainer(settings.preset, None, overrides, run_dir, None,
                                log=lambda m: log(f"trial {trial.number}: {m}"), progress=False,
                                extra_callbacks=[reporter])
        trial.set_user_attr("config", trainer.cfg.to_dict())
        try:
            trainer.fit()
        except TrainingDiverged as e:
            trial.set_user_attr("diverged", str(e))
            raise optuna.TrialPruned("training diverged") from None
        model = reporter.final["model"]
        trial.set_user_attr("fid", model["fid"])
        trial.set_user_attr("cond_acc", model.get("cond_acc"))
        value = objective_value(model["fid"], model.get("cond_acc"))
        log(f"trial {trial.number}: score {value:.4g}")
        return value

    return objective


def run_sweep(settings: SweepSettings, log=print):
    """Run trials until the study holds `trials` finished ones (or `timeout` passes); returns the study."""
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    study = open_study(settings)
    done = len(finished(study))
    remaining = settings.trials - done
    where = _show_url(settings.storage_url)
    if remaining <= 0:
        log(f"study {settings.study!r} ({where}) already has {done} finished trials; nothing to run")
        return study
    log(f"study {settings.study!r} ({where}): {done} finished trials, running up to {remaining} more; "
        f"objective: {objective_doc(settings.preset)} after {settings.epochs_per_trial} epoch(s), "
        f"{settings.eval_samples} samples")
    # The callback stops this worker once the study (all workers together) reaches the total.
    stop_at_total = MaxTrialsCallback(settings.trials, states=(TrialState.COMPLETE, TrialState.PRUNED))
    study.optimize(trial_runner(settings, log), n_trials=remaining, timeout=settings.timeout,
                   callbacks=[stop_at_total], gc_after_trial=True)
    return study


# ---------------------------------------------------------------- results


def best_config(trial) -> dict[str, Any]:
    """The best trial's TrainConfig fields, minus how-to-run fields: a file for `mnistgan train --config`."""
    config = dict(trial.user_attrs["config"])
    return {k: v for k, v in config.items() if k not in RUN_FIELDS}


def export_results(study, settings: SweepSettings, log=print) -> dict[str, Path]:
    """best_config.json, best_trial.json, optimization_history.png, param_importances.png; returns what was written."""
    from optuna.trial import TrialState

    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if "config" in t.user_attrs]
    if not complete:
        log("no completed trial yet: no best config to write")
        return written
    best = min(complete, key=lambda t: t.value)
    config_path = out / "best_config.json"
    atomic_write_text(config_path, json.dumps(best_config(best), indent=2) + "\n")
    written["config"] = config_path
    reproduce = ["mnistgan", "train", "--config", str(config_path), "--epochs", str(settings.epochs_per_trial)]
    subset = best.user_attrs["config"].get("train_subset")
    if subset:
        reproduce += ["--train-subset", str(subset)]
    record = {"study": settings.study, "storage": _show_url(settings.storage_url), "trial": best.number,
              "value": best.value, "objective": objective_doc(settings.preset), "fid": best.user_attrs.get("fid"),
              "cond_acc": best.user_attrs.get("cond_acc"), "params": best.params, "run_dir": best.user_attrs.get("run_dir"),
              "settings": {**asdict(settings), "out": str(settings.out), "storage": _show_url(settings.storage_url)},
              "reproduce": shlex.join(reproduce),
              "finished_trials": len(finished(study)), "completed_trials": len(complete)}
    atomic_write_text(out / "best_trial.json", json.dumps(record, indent=2, default=str) + "\n")
    written["trial"] = out / "best_trial.json"
    written.update(save_plots(study, out, log))
    return written


def save_plots(study, out: Path, log=print) -> dict[str, Path]:
    """Optimization history and parameter importances as PNGs (importances need two completed trials)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as vis

    _quiet_optuna()
    written = {}
    plots = [("history", "optimization_history.png", vis.plot_optimization_history)]
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) >= 2 and any(len({str(t.params.get(k)) for t in complete}) > 1 for k in complete[0].params):
        plots.append(("importances", "param_importances.png", vis.plot_param_importances))
    else:
        log("parameter importances need at least 2 completed trials with different parameters; plot skipped")
    for key, name, plot in plots:
        try:
            ax = plot(study)
            fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
            fig.set_size_inches(8, 5)
            fig.tight_layout()
            path = out / name
            tmp = path.with_name(f".{name}.tmp.png")
            fig.savefig(tmp, dpi=100)
            os.replace(tmp, path)
            written[key] = path
        except (ValueError, RuntimeError) as e:  # e.g. importances of parameters that never varied
            log(f"{name} skipped: {str(e).splitlines()[0]}")
        finally:
            plt.close("all")
    return written



# Short column names, so the table fits a terminal.
COLUMNS = {"batch_size": "batch", "latent_dim": "latent", "label_smoothing": "smooth", "n_critic": "critic",
           "gp_weight": "gp"}


def summary_table(study, settings: SweepSettings, limit: int = 15):
    """A rich Table of the study's trials, best first."""
    from optuna.trial import TrialState
    from rich.table import Table

    trials = study.get_trials(deepcopy=False)
    counts = {s.name.lower(): sum(t.state == s for t in trials) for s in TrialState}
    caption = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    baseline = [t.number for t in trials if t.user_attrs.get("baseline")]
    if baseline:
        caption += f"; #{baseline[0]} is the preset's defaults"
    table = Table(title=f"study {settings.study}: score = {objective_doc(settings.preset)}, lower is better",
                  caption=f"{caption or 'no trials'}; the best {limit} shown (acc: conditional accuracy)")
    names = sorted({k for t in trials for k in t.params})
    for col in ("#", "state", "score", "FID", "acc", "epochs", *[COLUMNS.get(n, n) for n in names]):
        table.add_column(col, justify="left" if col == "state" else "right", no_wrap=True)

    def order(t):  # completed trials by score, then the rest by number
        return (t.state != TrialState.COMPLETE, t.value if t.value is not None else float("inf"), t.number)

    for t in sorted(trials, key=order)[:limit]:
        epochs = max(t.intermediate_values) if t.intermediate_values else None
        table.add_row(str(t.number), t.state.name.lower(), fmt(t.value), fmt(t.user_attrs.get("fid")),
                      fmt(t.user_attrs.get("cond_acc")), fmt(epochs), *[fmt(t.params.get(k)) for k in names])
    return table

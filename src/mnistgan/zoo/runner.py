"""Train a set of presets under one budget, several seeds each, and score every run the same way.

    OUT/zoo.json                        the settings that make the runs comparable
    OUT/runs/<preset>/seed-<k>/         a run directory, plus
        curve/<i>/                      model folders exported at i/points of the budget
        result.json                     the run's scores, written last: a run with it is done

Running the same command again skips finished runs, resumes interrupted ones from their
checkpoints and evaluates what was not evaluated yet.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mnistgan.config import resolve
from mnistgan.errors import MnistganError, TrainingDiverged
from mnistgan.fileio import atomic_write_text, writable_dir
from mnistgan.metrics.evaluation import compute_metrics
from mnistgan.presets import PRESETS, get_preset
from mnistgan.sampling import Sampler
from mnistgan.train.callbacks import Callback, Evaluation
from mnistgan.train.rundir import RunDir
from mnistgan.train.session import build_trainer

FINAL_METRICS = ("fid", "kid", "precision", "recall", "classes_covered", "cond_acc")
COLLAPSE_CLASSES = 6  # fewer digits than this among 10,000 samples: the run collapsed onto a few modes
RUN_FOREVER = 100_000  # epochs: the budget, not the preset's schedule, ends a zoo run


@dataclass(frozen=True)
class ZooSettings:
    presets: tuple[str, ...] = tuple(PRESETS)
    seconds: float | None = None  # training seconds per run ...
    images: int | None = None  # ... or training images per run (what D sees)
    seeds: int = 3
    eval_samples: int = 10_000
    curve_points: int = 5
    curve_samples: int = 2_000
    overrides: tuple = ()  # (option, value) pairs set on every run, e.g. (("train_subset", 10_000),)
    out: Path = field(default=Path("runs/zoo"), compare=False)
    log_to: str = field(default="none", compare=False)  # "tensorboard": every run writes its own events
    device: str = field(default="auto", compare=False)

    def __post_init__(self) -> None:
        for name in self.presets:
            get_preset(name)
        if (self.seconds is None) == (self.images is None):
            raise MnistganError("give the budget per run as --seconds or --images (one of them)")
        if (self.seconds is not None and self.seconds <= 0) or (self.images is not None and self.images < 1):
            raise MnistganError("the budget must be positive")
        for name in ("seeds", "eval_samples", "curve_points", "curve_samples"):
            if getattr(self, name) < 1:
                raise MnistganError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")

    def signature(self) -> dict:
        """What every run of a zoo must share for its table to compare like with like."""
        return {"seconds": self.seconds, "images": self.images, "eval_samples": self.eval_samples,
                "curve_points": self.curve_points, "curve_samples": self.curve_samples,
                "overrides": [list(pair) for pair in self.overrides]}


def run_dir(settings: ZooSettings, preset: str, seed: int) -> RunDir:
    return RunDir(settings.out / "runs" / preset / f"seed-{seed}")


def budget_overrides(settings: ZooSettings, preset: str, seed: int) -> dict:
    recipe = resolve(preset, **dict(settings.overrides))
    # The zoo scores every run itself afterwards: no evaluation during training (eval_samples is unused).
    overrides = {**dict(settings.overrides), "seed": seed, "epochs": RUN_FOREVER, "eval_every": 0, "eval_samples": 2,
                 "log_every": 10, "checkpoint_every": 1, "log_to": settings.log_to, "device": settings.device}
    if settings.images is not None:  # G steps whose D steps see `images` digits
        overrides["max_steps"] = max(1, math.ceil(settings.images / (recipe.batch_size * recipe.n_critic)))
    else:
        overrides["max_seconds"] = settings.seconds
        if recipe.lr_decay != "none":
            overrides["lr_decay"] = "none"  # a schedule needs a known length; a time budget has none
    return overrides


class CurveSnapshots(Callback):
    """Exports G_ema at each i/points of the budget (checked at every logged step) for the FID-vs-time curve."""

    def __init__(self, settings: ZooSettings, run: RunDir):
        self.settings, self.run = settings, run

    def _fraction(self, trainer) -> float:
        if self.settings.seconds is not None:
            return trainer.training_seconds() / self.settings.seconds
        return trainer.progress.step / trainer.cfg.max_steps

    def on_log(self, trainer, record: dict) -> None:
        points = self.settings.curve_points
        due = min(points, math.floor(self._fraction(trainer) * points + 1e-9))
        for i in range(1, due + 1):
            folder = self.run.root / "curve" / f"{i:02d}"
            if not folder.exists():
                trainer.export(folder, None)

    def on_train_end(self, trainer, measured):
        self.on_log(trainer, {})
        final = self.run.root / "curve" / f"{self.settings.curve_points:02d}"
        if not final.exists():  # the budget ran out between two logged steps
            trainer.export(final, None)


def train_one(settings: ZooSettings, preset: str, seed: int, log) -> str:
    """Train (or resume) one run until its budget is spent; returns "ok" or "diverged"."""
    run = run_dir(settings, preset, seed)
    resume = run.has_checkpoints()
    callbacks = [CurveSnapshots(settings, run)]
    trainer = build_trainer(None if resume else preset, None,
                            {} if resume else budget_overrides(settings, preset, seed),
                            None if resume else run.root, run.root if resume else None,
                            log=lambda m: log(f"{preset} seed {seed}: {m}"), progress=False, extra_callbacks=callbacks)
    trainer.callbacks = [c for c in trainer.callbacks if not isinstance(c, Evaluation)]  # the zoo scores afterwards
    try:
        trainer.fit()
    except TrainingDiverged as e:
        log(f"{preset} seed {seed}: diverged ({e})")
        return "diverged"
    return "ok"


def score_run(settings: ZooSettings, preset: str, seed: int, status: str) -> dict:
    """The run's final scores, its FID curve and its speed, written to result.json."""
    run = run_dir(settings, preset, seed)
    result = {"preset": preset, "seed": seed, "status": status, "curve": []}
    for folder in sorted((run.root / "curve").glob("[0-9][0-9]")):
        s = Sampler.from_pretrained(folder)
        images, labels = s.sample(settings.curve_samples, seed=seed)
        info = s.info
        result["curve"].append({"seconds": info.get("wall_time_s"), "steps": info.get("steps"),
                                "fid": float(compute_metrics(images, labels, seed=seed, metrics=("fid",))["fid"])})
    if status == "ok":
        s = Sampler.from_pretrained(run.model_dir)
        images, labels = s.sample(settings.eval_samples, seed=seed)
        wanted = [m for m in FINAL_METRICS if m != "cond_acc" or s.conditional]
        scores = compute_metrics(images, labels, seed=seed, metrics=wanted)
        result.update({m: float(scores[m]) for m in wanted})
        if result["classes_covered"] < COLLAPSE_CLASSES:
            result["status"] = "collapsed"
        steps, seconds = s.info.get("steps"), s.info.get("wall_time_s")
        cfg = s.info.get("config", {})
        images_seen = steps * cfg.get("batch_size", 0) * cfg.get("n_critic", 1)
        result.update(steps=steps, seconds=seconds, images_per_s=images_seen / seconds if seconds else None)
    atomic_write_text(run.root / "result.json", json.dumps(result, indent=2) + "\n")
    return result


def check_settings(settings: ZooSettings) -> None:
    """A zoo directory keeps one set of comparable settings: refuse a command with others."""
    path = settings.out / "zoo.json"
    if path.exists():
        saved = json.loads(path.read_text())
        if saved["signature"] != settings.signature():
            raise MnistganError(f"{settings.out} holds a zoo with other settings ({saved['signature']}); "
                                "use another --out or the same budget and evaluation options")
    writable_dir(settings.out, what="zoo directory")
    atomic_write_text(path, json.dumps({"signature": settings.signature(), "presets": list(settings.presets),
                                        "seeds": settings.seeds}, indent=2) + "\n")


def run_zoo(settings: ZooSettings, log=print) -> list[dict]:
    """Every preset x seed, trained and scored (finished runs are read back, not retrained)."""
    check_settings(settings)
    results = []
    for preset in settings.presets:
        for seed in range(settings.seeds):
            done = run_dir(settings, preset, seed).root / "result.json"
            if done.exists():
                results.append(json.loads(done.read_text()))
                continue
            log(f"{preset} seed {seed}: training")
            status = train_one(settings, preset, seed, log)
            results.append(score_run(settings, preset, seed, status))
            log(f"{preset} seed {seed}: {results[-1]['status']}, FID {results[-1].get('fid', float('nan')):.4g}")
    return results


def as_dict(settings: ZooSettings) -> dict:
    return {**asdict(settings), "out": str(settings.out)}

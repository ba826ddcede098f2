"""Training options: one dataclass, resolved from a preset, a config file and CLI overrides."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from mnistgan.devices import PRECISIONS
from mnistgan.errors import MnistganError
from mnistgan.presets import DEFAULT_PRESET, get_preset
from mnistgan.train.schedules import SHAPES


LOG_TARGETS = ("none", "tensorboard")  # where a run's figures go besides metrics.jsonl and losses.png


@dataclass
class TrainConfig:
    preset: str = DEFAULT_PRESET
    epochs: int = 10
    max_steps: int | None = None  # stop after this many generator-optimizer steps in total
    max_seconds: float | None = None  # stop after this much training time in total (over resumes)
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    latent_dim: int = 100
    g_width: int = 64
    d_width: int = 64
    n_critic: int = 1  # discriminator steps per generator step
    gp_weight: float = 10.0  # WGAN-GP's lambda; used only by the wgan-gp objective
    r1_gamma: float = 0.0  # R1 penalty on real digits (0: off)
    r2_gamma: float = 0.0  # R2 penalty on generated digits (0: off)
    reg_every: int = 1  # R1/R2 every this many D steps, weighted as many times (lazy regularization)
    label_smoothing: float = 1.0  # real label for BCE; 0.9 is one-sided smoothing
    aux_weight: float = 1.0  # weight of the auxiliary classifier loss (conditional DCGAN discriminators)
    ema_decay: float = 0.999
    lr_decay: str = "none"  # none | linear | cosine: the shape of every schedule over the run
    lr_final: float = 0.0  # with a schedule: final learning rates as a fraction of the start ones
    gamma_final: float = 1.0  # with a schedule: final R1/R2 weight as a fraction of the start one
    beta2_final: float | None = None  # with a schedule: Adam's beta2 at the end (None: constant)
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # auto | fp32 | tf32 | bf16 | fp16
    cuda_graphs: str = "auto"  # auto (on for CUDA, except with fp16) | on | off
    checkpoint_every: int = 1  # epochs
    sample_every: int = 1  # epochs
    eval_every: int = 0  # epochs; 0 = only at the end
    eval_samples: int = 5000
    early_stop: int = 0  # stop when this many evaluations in a row have not improved FID (0: never)
    log_every: int = 50  # steps
    keep_checkpoints: int = 2
    data_dir: str | None = None
    train_subset: int | None = None  # train on the first N training digits (quick experiments, tests)
    log_to: str = "none"  # none | tensorboard: also write the run's figures as TensorBoard events

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> "TrainConfig":
        get_preset(self.preset)
        positive = ["epochs", "batch_size", "reg_every", "latent_dim", "g_width", "d_width", "n_critic",
                    "checkpoint_every", "sample_every", "log_every", "keep_checkpoints", "eval_samples"]
        for name in positive:
            if getattr(self, name) < 1:
                raise MnistganError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise MnistganError(f"--max-seconds must be positive, got {self.max_seconds}")
        for name in ("max_steps", "train_subset"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise MnistganError(f"--{name.replace('_', '-')} must be at least 1, got {v}")
        for name in ("lr_g", "lr_d"):
            v = getattr(self, name)
            if not (0 < v < 1):
                raise MnistganError(f"--{name.replace('_', '-')} must be in (0, 1), got {v}")
        for name in ("beta1", "beta2", "ema_decay"):
            v = getattr(self, name)
            if not (0 <= v < 1):
                raise MnistganError(f"--{name.replace('_', '-')} must be in [0, 1), got {v}")
        if not (0 < self.label_smoothing <= 1):
            raise MnistganError(f"--label-smoothing must be in (0, 1], got {self.label_smoothing}")
        for name in ("eval_every", "gp_weight", "aux_weight", "r1_gamma", "r2_gamma", "early_stop"):
            if getattr(self, name) < 0:
                raise MnistganError(f"--{name.replace('_', '-')} cannot be negative, got {getattr(self, name)}")
        if self.early_stop and not self.eval_every:
            raise MnistganError("--early-stop counts evaluations: give --eval-every too")
        if self.lr_decay not in SHAPES:
            raise MnistganError(f"--lr-decay must be none, linear or cosine, not {self.lr_decay!r}")
        for name in ("lr_final", "gamma_final"):
            if not 0 <= getattr(self, name) <= 1:
                raise MnistganError(f"--{name.replace('_', '-')} must be in [0, 1], got {getattr(self, name)}")
        if self.beta2_final is not None and not 0 <= self.beta2_final < 1:
            raise MnistganError(f"--beta2-final must be in [0, 1), got {self.beta2_final}")
        if self.log_to not in LOG_TARGETS:
            raise MnistganError(f"--log-to must be {' or '.join(LOG_TARGETS)}, not {self.log_to!r}")
        if self.cuda_graphs not in ("auto", "on", "off"):
            raise MnistganError(f"--cuda-graphs must be auto, on or off, not {self.cuda_graphs!r}")
        if self.precision not in PRECISIONS:
            choices = ", ".join(PRECISIONS[:-1]) + f" or {PRECISIONS[-1]}"
            raise MnistganError(f"--precision must be {choices}, not {self.precision!r}")
        return self


def load_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """A JSON file of TrainConfig fields (as `mnistgan tune` writes); unknown keys are an error."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise MnistganError(f"{path}: no such config file") from None
    except (OSError, ValueError) as e:
        raise MnistganError(f"{path}: not a JSON config file ({e})") from None
    if not isinstance(raw, dict):
        raise MnistganError(f"{path}: a config file holds a JSON object of training options")
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise MnistganError(f"{path}: unknown option(s) {', '.join(unknown)}")
    return raw


def resolve(preset: str | None = None, config_file: str | os.PathLike | None = None, **overrides: Any) -> TrainConfig:
    """Preset defaults, then the config file, then explicit overrides (None = not given)."""
    values: dict[str, Any] = {}
    from_file = load_config_file(config_file) if config_file else {}
    name = preset or from_file.get("preset") or TrainConfig.preset
    values.update(get_preset(name).defaults)
    values.update(from_file)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["preset"] = name
    return TrainConfig(**values).validate()

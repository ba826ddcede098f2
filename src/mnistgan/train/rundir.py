"""The run directory: the one place that spells a training run's paths, with their readers and writers.

    runs/<preset>-<timestamp>/
      config.json              resolved options, device, versions, git commit, command line
      metrics.jsonl            one JSON record per logged step; {"kind": "eval", ...} per evaluation
      losses.png               training curves, redrawn as training goes
      samples/epoch_NNN.png    fixed-noise sample grid after epoch NNN (a row per digit)
      samples/epoch_NNN.npz    the same digits as arrays (`digits` uint8 (N, 28, 28), `labels`)
      checkpoints/ckpt-SSSSSSSSS.safetensors   training state after generator step S (atomic)
      model/                   G_ema exported at the end (or when training stops): a model folder
      best/                    the model folder of the evaluation with the lowest FID
      tensorboard/             TensorBoard event files, with --log-to tensorboard
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np

from mnistgan.errors import MnistganError
from mnistgan.fileio import atomic_write_bytes, atomic_write_text

CHECKPOINT = re.compile(r"ckpt-(\d{9})\.safetensors$")
SAMPLES = re.compile(r"epoch_(\d+)\.npz$")


class RunDir:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.config_path = self.root / "config.json"
        self.metrics_path = self.root / "metrics.jsonl"
        self.curves_path = self.root / "losses.png"
        self.samples_dir = self.root / "samples"
        self.checkpoints_dir = self.root / "checkpoints"
        self.model_dir = self.root / "model"
        self.best_dir = self.root / "best"
        self.tensorboard_dir = self.root / "tensorboard"

    def __repr__(self) -> str:
        return f"RunDir({str(self.root)!r})"

    def __str__(self) -> str:
        return str(self.root)

    def looks_like_run(self) -> bool:
        """True for a folder `mnistgan train` wrote into (any of its files)."""
        return any(p.exists() for p in (self.config_path, self.metrics_path, self.samples_dir, self.model_dir))

    # ------------------------------------------------------------ config.json

    def write_config(self, record: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.config_path, json.dumps(record, indent=2) + "\n")

    def read_config(self) -> dict:
        """The run's config.json record ({"config": TrainConfig fields, "device", "command", ...})."""
        try:
            return json.loads(self.config_path.read_text())
        except FileNotFoundError:
            raise MnistganError(f"{self.config_path}: missing (is {self.root} a run directory from `mnistgan train`?)") from None
        except (OSError, ValueError) as e:
            raise MnistganError(f"{self.config_path}: not readable ({e})") from None

    def train_config(self) -> dict:
        """The TrainConfig fields the run was started with."""
        return self.read_config().get("config", {})

    # ------------------------------------------------------------ metrics.jsonl

    def append_metrics(self, record: dict) -> None:
        with open(self.metrics_path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict]:
        """Records of metrics.jsonl; a torn last line (a killed writer) is ignored."""
        records = []
        if self.metrics_path.exists():
            for line in self.metrics_path.read_text().splitlines():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def evaluations(self) -> list[dict]:
        return [r for r in self.read_metrics() if r.get("kind") == "eval"]

    # ------------------------------------------------------------ samples

    def sample_grid_path(self, epoch: int) -> Path:
        return self.samples_dir / f"epoch_{epoch:03d}.png"

    def sample_arrays_path(self, epoch: int) -> Path:
        return self.samples_dir / f"epoch_{epoch:03d}.npz"

    def write_sample_arrays(self, epoch: int, digits: np.ndarray, labels: np.ndarray) -> Path:
        buf = io.BytesIO()
        np.savez_compressed(buf, digits=digits.astype(np.uint8), labels=labels.astype(np.int64))
        path = self.sample_arrays_path(epoch)
        atomic_write_bytes(path, buf.getvalue())
        return path

    def sample_epochs(self) -> list[int]:
        """Epochs with saved sample arrays, in order."""
        if not self.samples_dir.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.samples_dir.iterdir() if (m := SAMPLES.fullmatch(p.name)))

    def read_samples(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """(digits uint8 (N, 28, 28), labels int64 (N,)) of one epoch's fixed-noise samples."""
        path = self.sample_arrays_path(epoch)
        try:
            with np.load(path, allow_pickle=False) as f:
                return f["digits"], f["labels"]
        except (OSError, ValueError, KeyError) as e:
            raise MnistganError(f"{path}: not readable sample arrays ({e})") from None

    # ------------------------------------------------------------ checkpoints

    def checkpoint_path(self, step: int) -> Path:
        """The checkpoint after generator step `step`."""
        return self.checkpoints_dir / f"ckpt-{step:09d}.safetensors"

    def checkpoints(self) -> list[Path]:
        """Checkpoint files, oldest first (by step, from the name)."""
        if not self.checkpoints_dir.is_dir():
            return []
        return sorted(p for p in self.checkpoints_dir.iterdir() if CHECKPOINT.fullmatch(p.name))

    def has_checkpoints(self) -> bool:
        return bool(self.checkpoints())

    def prune_checkpoints(self, keep: int) -> None:
        for old in self.checkpoints()[:-keep]:
            old.unlink(missing_ok=True)

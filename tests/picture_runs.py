"""Runs to draw pictures of: one tiny real training run per test session, shared by the picture and report tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.conftest import REPO

_RUN: dict[str, Path] = {}


def tiny_run(tmp_path_factory) -> Path:
    """A real 30-step cdcgan run (widths 8) trained through the CLI, once per session.

    Training evaluates at the end; 200 samples keep that quick.
    """
    if "run" not in _RUN:
        tmp = tmp_path_factory.mktemp("pictures")
        out = tmp / "tiny-cdcgan"
        (tmp / "options.json").write_text(json.dumps({"eval_samples": 200}))
        r = subprocess.run([sys.executable, "-m", "mnistgan", "train", "--preset", "cdcgan", "--max-steps", "30",
                            "--config", str(tmp / "options.json"),
                            "--g-width", "8", "--d-width", "8", "--log-every", "5", "--no-progress", "--out", str(out)],
                           capture_output=True, text=True, cwd=REPO, timeout=300)
        assert r.returncode == 0, r.stderr
        _RUN["run"] = out
    return _RUN["run"]


def unconditional_model(path: Path) -> Path:
    """A tiny untrained unconditional generator, exported like a real model folder."""
    import torch

    from mnistgan.nets import Generator

    torch.manual_seed(0)
    Generator("dcgan", 16, 0, 4).save_pretrained(path)
    return path


def fake_sample_grids(run_dir: Path, epochs=(1, 2, 3)) -> dict[int, np.ndarray]:
    """Each epoch's fixed-noise samples as training writes them: the arrays (through RunDir) and the PNG grid
    (10 per row, scale 2), with different digits each epoch. Returns the digits by epoch."""
    from mnistgan.grids import save_grid
    from mnistgan.train.rundir import RunDir

    run, rng, written = RunDir(run_dir), np.random.default_rng(0), {}
    for e in epochs:
        digits = rng.integers(0, 256, (100, 28, 28), dtype=np.uint8)
        run.write_sample_arrays(e, digits, np.arange(100) // 10)
        save_grid(digits, run.sample_grid_path(e), nrow=10, scale=2)
        written[e] = digits
    return written

"""A run directory that turns read-only: one clear error line, a non-zero exit, the last checkpoint intact.

Root writes through any chmod, so the training subprocess runs as an unprivileged user
(tests/unprivileged.py); the first checkpoint is written here, in-process, and handed over.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from mnistgan.train.rundir import RunDir
from mnistgan.train.session import build_trainer
from mnistgan.train.callbacks import Evaluation
from mnistgan.train.state import latest_checkpoint
from tests import unprivileged
from tests.conftest import REPO

TINY = dict(g_width=8, d_width=8, latent_dim=16, precision="fp32", device="cpu", batch_size=32, max_steps=2)


def without_evaluation(trainer) -> None:
    trainer.callbacks = [c for c in trainer.callbacks if not isinstance(c, Evaluation)]


@pytest.fixture
def run_dir():
    """A run stopped after its first checkpoint (step 2), owned by the unprivileged user."""
    with unprivileged.workspace() as root:
        run = root / "run"
        trainer = build_trainer("mlp-gan", None, TINY, run, None, log=lambda m: None, progress=False)
        without_evaluation(trainer)  # no end-of-run FID: this test is about files
        trainer.fit()
        unprivileged.give(root)
        yield run


def resume_unprivileged(run, max_steps=4):
    home = run.parent / "home"
    home.mkdir(exist_ok=True)
    unprivileged.give(home)
    cmd = [sys.executable, "-m", "mnistgan", "train", "--resume", str(run), "--max-steps", str(max_steps), "--no-progress"]
    return subprocess.run(unprivileged.command(cmd), cwd=REPO, env=unprivileged.environment(home),
                          capture_output=True, text=True, timeout=300)


def one_error_line(r, fragment):
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and fragment in errors[0], r.stderr
    print(errors[0])


def assert_intact_and_loadable(run, good, before: bytes):
    assert RunDir(run).checkpoints() == [good] and good.read_bytes() == before
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.endswith(".tmp")]
    tensors, meta, path = latest_checkpoint(RunDir(run), log=lambda m: None)
    assert path == good and meta["step"] == 2 and tensors


def test_resume_into_a_read_only_run_directory_is_refused_at_once(run_dir):
    (good,) = RunDir(run_dir).checkpoints()
    before, files = good.read_bytes(), sorted(run_dir.rglob("*"))
    unprivileged.read_only(run_dir)
    r = resume_unprivileged(run_dir)
    one_error_line(r, f"run directory {run_dir} is not writable")
    unprivileged.writable(run_dir)
    assert sorted(run_dir.rglob("*")) == files  # nothing written, nothing removed
    assert_intact_and_loadable(run_dir, good, before)


def test_a_checkpoint_write_into_a_read_only_directory_keeps_the_previous_one(run_dir):
    """The run dir stays writable, its checkpoints/ does not: training runs, then its checkpoint write fails."""
    (good,) = RunDir(run_dir).checkpoints()
    before = good.read_bytes()
    unprivileged.read_only(run_dir / "checkpoints")
    r = resume_unprivileged(run_dir)
    one_error_line(r, "ckpt-000000004.safetensors (Permission denied); the previous checkpoint is intact")
    assert "resuming" in r.stderr and "step 2" in r.stderr  # it did train: the write itself failed
    unprivileged.writable(run_dir / "checkpoints")
    assert_intact_and_loadable(run_dir, good, before)

    # Writable again, the run resumes from that checkpoint and finishes.
    trainer = build_trainer(None, None, {"max_steps": 4}, None, run_dir, log=lambda m: None, progress=False)
    without_evaluation(trainer)
    assert trainer.progress.step == 2
    trainer.fit()
    assert RunDir(run_dir).checkpoints()[-1].name == "ckpt-000000004.safetensors"

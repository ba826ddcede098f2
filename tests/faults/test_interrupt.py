"""Ctrl-C: SIGINT during training writes a final checkpoint, exits 130 with one line, and resume continues."""

import signal
import subprocess
import sys
import time

from mnistgan import checkpoint
from mnistgan.train.rundir import RunDir
from tests.conftest import REPO

ARGS = ["--preset", "mlp-gan", "--train-subset", "6400", "--batch-size", "64", "--epochs", "40",
        "--g-width", "8", "--d-width", "8", "--latent-dim", "16", "--precision", "fp32",
        "--log-every", "5", "--no-progress"]


def test_sigint_checkpoints_and_resume_continues(tmp_path):
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "mnistgan", "train", *ARGS, "--out", str(run)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (run / "metrics.jsonl").exists() and time.monotonic() < deadline:  # training has begun
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and f"Resume with: mnistgan train --resume {run}" in err
    (saved,) = RunDir(run).checkpoints()[-1:]
    _, meta = checkpoint.load(saved)
    assert 0 < meta["step"] < 40 * 100  # stopped part-way, state saved at that very step

    done = subprocess.run([sys.executable, "-m", "mnistgan", "train", "--resume", str(run), "--epochs", str(meta["epoch"] + 1),
                           "--no-progress"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _, final = checkpoint.load(RunDir(run).checkpoints()[-1])
    assert final["step"] > meta["step"] and final["epoch"] == meta["epoch"] + 1

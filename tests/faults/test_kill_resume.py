"""Kill at any moment: SIGKILL a training process at random points, resume, and end bit-identical.

A run is killed again and again (mid-step, mid-checkpoint, mid-sample, mid-export: the
points are random times) and resumed with --resume each time until it completes. Then:
every checkpoint on disk loads, and the final weights equal an uninterrupted run's.
"""

import json
import random
import signal
import subprocess
import sys
import time

import pytest
from safetensors.torch import load_file

from mnistgan import checkpoint
from mnistgan.train.rundir import RunDir
from tests.conftest import REPO

# Tiny, fast and deterministic on CPU: 10 steps per epoch, a checkpoint every epoch.
ARGS = ["--preset", "mlp-gan", "--train-subset", "640", "--batch-size", "64", "--epochs", "6",
        "--g-width", "8", "--d-width", "8", "--latent-dim", "16", "--precision", "fp32",
        "--checkpoint-every", "1", "--log-every", "5", "--no-progress"]
KILLS = 12


def train(out, *extra, timeout=300):
    cmd = [sys.executable, "-m", "mnistgan", "train", *ARGS, "--out", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=timeout)


def final_state(run_dir):
    (path,) = RunDir(run_dir).checkpoints()[-1:]
    tensors, meta = checkpoint.load(path)
    return {k: v for k, v in tensors.items() if k.split(".")[0] in ("G", "D", "G_ema")}, meta


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_ends_bit_identical(tmp_path):
    start = time.perf_counter()
    clean = train(tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr
    duration = time.perf_counter() - start
    reference, ref_meta = final_state(tmp_path / "clean")

    run = tmp_path / "killed"
    rng = random.Random(1234)
    kills, attempts = 0, 0
    while True:
        attempts += 1
        assert attempts < 60, "the run never completed"
        if RunDir(run).checkpoints():
            args = ["--resume", str(run), "--no-progress"]
        else:  # killed before the first checkpoint: start over in the same directory
            args = [*ARGS, "--out", str(run)]
        cmd = [sys.executable, "-m", "mnistgan", "train", *args]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if kills < KILLS:
            # Anywhere in a whole run's time: startup, steps, checkpoint and sample writes, export.
            time.sleep(rng.uniform(0.05, 0.5) * duration)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                # Whatever the moment, every checkpoint that is on disk must load.
                for path in RunDir(run).checkpoints():
                    checkpoint.load(path)
                continue
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        break
    assert kills >= KILLS // 2, f"only {kills} kills landed before the run finished"
    state, meta = final_state(run)
    assert meta["step"] == ref_meta["step"] == 60
    assert state.keys() == reference.keys()
    for k in reference:
        assert reference[k].equal(state[k]), k
    exported = load_file(run / "model" / "model.safetensors")
    expected = load_file(tmp_path / "clean" / "model" / "model.safetensors")
    assert all(exported[k].equal(expected[k]) for k in expected)
    print(f"kill points tried: {kills}, attempts: {attempts}")
    (tmp_path / "kills.json").write_text(json.dumps({"kills": kills, "attempts": attempts}))

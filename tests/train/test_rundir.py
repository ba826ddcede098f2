"""RunDir: a run's paths, and reading back what training wrote."""

import numpy as np
import pytest

from mnistgan.errors import MnistganError
from mnistgan.train.rundir import RunDir


def test_layout(tmp_path):
    run = RunDir(tmp_path)
    assert run.config_path == tmp_path / "config.json" and run.metrics_path == tmp_path / "metrics.jsonl"
    assert run.model_dir == tmp_path / "model" and run.best_dir == tmp_path / "best"
    assert run.checkpoint_path(42) == tmp_path / "checkpoints" / "ckpt-000000042.safetensors"
    assert run.sample_grid_path(3) == tmp_path / "samples" / "epoch_003.png"
    assert not run.looks_like_run()


def test_sample_arrays_round_trip_in_epoch_order(tmp_path):
    run = RunDir(tmp_path)
    rng = np.random.default_rng(0)
    for epoch in (10, 2, 1):
        run.write_sample_arrays(epoch, rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), np.arange(100) % 10)
    assert run.sample_epochs() == [1, 2, 10]
    digits, labels = run.read_samples(2)
    assert digits.shape == (100, 28, 28) and digits.dtype == np.uint8 and labels[:3].tolist() == [0, 1, 2]
    assert run.looks_like_run()


@pytest.mark.bad_input("file")
def test_unreadable_sample_arrays_name_the_file(tmp_path):
    run = RunDir(tmp_path)
    run.samples_dir.mkdir()
    run.sample_arrays_path(1).write_bytes(b"not an npz")
    with pytest.raises(MnistganError, match="epoch_001.npz"):
        run.read_samples(1)


def test_metrics_skip_a_torn_last_line_and_evaluations_are_filtered(tmp_path):
    run = RunDir(tmp_path)
    run.append_metrics({"step": 1, "loss_d": 1.0})
    run.append_metrics({"kind": "eval", "step": 1, "fid": 3.0})
    with open(run.metrics_path, "a") as f:
        f.write('{"step": 2, "loss')  # a writer killed mid-line
    assert [r["step"] for r in run.read_metrics()] == [1, 1]
    assert run.evaluations() == [{"kind": "eval", "step": 1, "fid": 3.0}]


def test_checkpoints_sort_by_step_and_prune_keeps_the_newest(tmp_path):
    run = RunDir(tmp_path)
    run.checkpoints_dir.mkdir()
    for step in (30, 4, 200):
        run.checkpoint_path(step).write_bytes(b"x")
    (run.checkpoints_dir / "ckpt-notes.txt").write_text("ignored")
    assert [p.name for p in run.checkpoints()] == [f"ckpt-{s:09d}.safetensors" for s in (4, 30, 200)]
    run.prune_checkpoints(2)
    assert [p.name for p in run.checkpoints()] == [f"ckpt-{s:09d}.safetensors" for s in (30, 200)]


@pytest.mark.bad_input("file")
def test_missing_config_says_what_is_wrong(tmp_path):
    with pytest.raises(MnistganError, match="is .* a run directory"):
        RunDir(tmp_path).read_config()

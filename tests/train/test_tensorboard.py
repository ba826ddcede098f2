"""`--log-to tensorboard`: the run's figures as TensorBoard events, read back with TensorBoard's own reader;
the dashboard changes nothing about training, and its writer is closed however training ends."""

import io
import json
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

from mnistgan.cli import main
from mnistgan.errors import Interrupted
from mnistgan.grids import tile
from mnistgan.train.rundir import RunDir
from mnistgan.train.session import build_trainer
from mnistgan.train.tensorboard import TensorBoardLog
from tests.train.test_loop import TINY, assert_same_weights, stop_at, train

STEP_SCALARS = ["train/loss_d", "train/loss_g", "train/d_real", "train/d_fake", "train/images_per_s"]


def events(run_dir) -> EventAccumulator:
    acc = EventAccumulator(str(RunDir(run_dir).tensorboard_dir), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    return acc


def steps(acc: EventAccumulator, tag: str) -> list[int]:
    return [e.step for e in acc.Scalars(tag)]


def test_train_log_to_tensorboard_writes_the_scalars_and_the_sample_grid(tmp_path, capsys):
    options = tmp_path / "options.json"  # what the command line has no flag for: a small evaluation
    options.write_text(json.dumps({"eval_samples": 200}))
    run = tmp_path / "run"
    main(["train", "--preset", "cdcgan", "--config", str(options), "--train-subset", "128", "--batch-size", "32",
          "--epochs", "2", "--eval-every", "1", "--log-every", "2", "--g-width", "8", "--d-width", "8",
          "--latent-dim", "16", "--precision", "fp32", "--device", "cpu", "--no-progress", "--out", str(run),
          "--log-to", "tensorboard"])
    acc = events(run)
    tags = acc.Tags()
    assert set(STEP_SCALARS) | {"eval/fid", "eval/cond_acc", "eval/fid_real_floor"} <= set(tags["scalars"])
    # each metrics.jsonl record, at its G step (float32 in the event file)
    records = [r for r in RunDir(run).read_metrics() if r.get("kind") != "eval"]
    assert steps(acc, "train/loss_g") == [r["step"] for r in records] == [2, 4, 6, 8]
    assert [e.value for e in acc.Scalars("train/loss_g")] == pytest.approx([r["loss_g"] for r in records], rel=1e-6)
    evals = RunDir(run).evaluations()  # one per epoch; the end of training repeats epoch 2's and is not logged twice
    assert steps(acc, "eval/fid") == [r["step"] for r in evals] == [4, 8]
    assert [e.value for e in acc.Scalars("eval/fid")] == pytest.approx([r["fid"] for r in evals], rel=1e-6)
    assert [e.value for e in acc.Scalars("eval/cond_acc")] == pytest.approx([r["cond_acc"] for r in evals], rel=1e-6)
    # the sample grid of each epoch: the digits of samples/epoch_NNN.npz, a row per digit
    grids = acc.Images("samples/fixed_noise")
    assert [g.step for g in grids] == [4, 8]
    last = np.asarray(Image.open(io.BytesIO(grids[-1].encoded_image_string)).convert("L"))
    assert np.array_equal(last, tile(RunDir(run).read_samples(2)[0], 10))


def test_the_dashboard_changes_nothing_and_resumes_without_forked_curves(tmp_path):
    plain, _ = train(tmp_path / "plain", "mlp-gan", max_steps=6, batch_size=64)
    logged, _ = train(tmp_path / "logged", "mlp-gan", max_steps=6, batch_size=64, log_to="tensorboard")
    assert_same_weights(plain, logged)  # bit for bit

    train(tmp_path / "part", "mlp-gan", max_steps=3, batch_size=64, log_to="tensorboard")
    # A session that died after step 3's checkpoint left events beyond it; the resumed run must hide them.
    time.sleep(1.1)  # event files are read in name order, and their names start with the second they were made
    with SummaryWriter(str(RunDir(tmp_path / "part").tensorboard_dir)) as stale:
        stale.add_scalar("train/loss_d", 999.0, 4)
    time.sleep(1.1)
    resumed, _ = train(tmp_path / "part", None, resume=True, max_steps=6)
    assert_same_weights(plain, resumed)
    acc = events(tmp_path / "part")
    assert steps(acc, "train/loss_d") == [2, 4, 6] and 999.0 not in [e.value for e in acc.Scalars("train/loss_d")]


def test_tune_gives_every_trial_a_dashboard_and_keeps_it_out_of_the_study(tmp_path):
    sweep = tmp_path / "sweep"
    tiny = ["tune", "--preset", "dcgan", "--out", str(sweep), "--epochs-per-trial", "1", "--train-subset", "128",
            "--batch-size", "32", "--eval-samples", "100", "--g-width", "8", "--d-width", "8", "--latent-dim", "16",
            "--device", "cpu", "--precision", "fp32"]
    main([*tiny, "--trials", "1", "--log-to", "tensorboard"])
    trial = next((sweep / "trials").iterdir())
    tags = events(trial).Tags()  # (4 steps: no metrics.jsonl record yet, at tune's log_every of 50)
    assert "eval/fid" in tags["scalars"] and tags["images"] == ["samples/fixed_noise"]
    assert "log_to" not in json.loads((sweep / "best_config.json").read_text())  # how it ran, not what it trains
    main([*tiny, "--trials", "2"])  # a worker without dashboards joins the same study
    assert len(list((sweep / "trials").iterdir())) == 2


def test_ctrl_c_closes_the_writer_with_everything_written(tmp_path):
    trainer = build_trainer("dcgan", None, {**TINY, "train_subset": 640, "batch_size": 64, "log_to": "tensorboard"},
                            tmp_path, None, log=lambda m: None, progress=False)
    dashboard = next(c for c in trainer.callbacks if isinstance(c, TensorBoardLog))
    stop_at(trainer, 5)
    with pytest.raises(Interrupted):
        trainer.fit()
    assert dashboard.writer is None  # closed
    assert steps(events(tmp_path), "train/loss_d") == [2, 4]


def test_tensorboard_is_imported_only_for_runs_that_ask_for_it():
    code = ("import sys; import mnistgan.cli, mnistgan.train.session; "
            "print(sorted(m for m in sys.modules if m.startswith(('tensorboard', 'torch.utils.tensorboard'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


@pytest.mark.bad_input("cli")
def test_an_unknown_log_target_is_one_error_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--log-to", "wandb", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 1 and err == "error: --log-to must be none or tensorboard, not 'wandb'", err

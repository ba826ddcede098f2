"""`mnistgan evaluate` through the command line: real-digit npz, a tiny trained model, bad files."""

import json
import subprocess
import sys

import numpy as np
import pytest

from mnistgan.data import load_mnist
from tests.conftest import REPO


def mnistgan(*args):
    return subprocess.run([sys.executable, "-m", "mnistgan", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300)


def evaluate(capsys, *args) -> str:
    """Run `mnistgan evaluate ARGS` in this process (the runner the CLI uses), return what it printed."""
    from mnistgan.cli import main

    main(["evaluate", *args])
    return capsys.readouterr().out


def test_npz_of_real_test_digits_scores_near_the_floor(tmp_path, capsys):
    test = load_mnist("test")
    np.savez(tmp_path / "real.npz", images=test.images.numpy()[:500], labels=test.labels.numpy()[:500])
    out = evaluate(capsys, "--samples", str(tmp_path / "real.npz"), "--json", str(tmp_path / "out.json"))
    assert "real floor" in out and "FID" in out and "memorization" in out
    assert "conditional accuracy per digit" in out
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["num"] == 500 and out["command"].startswith("mnistgan evaluate --samples")
    assert out["metrics"]["fid"] < 3 * out["floor"]["fid"]
    assert out["metrics"]["cond_acc"] > 0.98 and out["classifier"]["test_accuracy"] >= 0.994


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("tiny-run")
    config = run / "options.json"  # a small end-of-training evaluation keeps the test quick
    config.write_text(json.dumps({"eval_samples": 300}))
    r = mnistgan("train", "--preset", "dcgan", "--max-steps", "5", "--out", str(run / "run"), "--g-width", "8",
                 "--d-width", "8", "--no-progress", "--config", str(config))
    assert r.returncode == 0, r.stderr
    return run / "run"


def test_a_trained_model_is_scored_and_its_card_updated(tiny_run, capsys):
    info = json.loads((tiny_run / "model" / "info.json").read_text())
    assert info["metrics"]["model"]["fid"] > 0  # the end-of-training evaluation
    out = evaluate(capsys, "--model", str(tiny_run), "--num", "300", "--seed", "1")
    assert "real floor" in out and "metrics written to" in out
    info = json.loads((tiny_run / "model" / "info.json").read_text())
    metrics = info["metrics"]
    assert metrics["num"] == 300 and metrics["seed"] == 1 and metrics["model"]["cond_acc"] is None
    assert metrics["command"] == f"mnistgan evaluate --model {tiny_run} --num 300 --seed 1"
    assert metrics["floor"]["fid"] < metrics["model"]["fid"]
    card = (tiny_run / "model" / "README.md").read_text()
    assert "## Metrics" in card and metrics["command"] in card
    assert (tiny_run / "model" / "memorization.png").exists()


def test_card_is_left_alone_when_asked(tiny_run, capsys):
    before = (tiny_run / "model" / "info.json").read_text()
    out = evaluate(capsys, "--model", str(tiny_run / "model"), "--num", "50", "--no-update-card")
    assert "model card not updated" in out and (tiny_run / "model" / "info.json").read_text() == before


def test_bundled_models_cards_change_only_on_request(tmp_path):
    from mnistgan.cli.evaluate import _card_target
    from mnistgan.registry import BUNDLED

    assert _card_target(tmp_path, None) == (True, "")
    assert _card_target(tmp_path, False)[0] is False
    if BUNDLED.is_dir():
        assert _card_target(BUNDLED, None)[0] is False
        assert _card_target(BUNDLED, True)[0] is True or not __import__("os").access(BUNDLED, __import__("os").W_OK)


@pytest.mark.bad_input("file")
@pytest.mark.parametrize("content", [b"not a zip file", None, "wrong-shape", "no-images", "float-images"])
def test_bad_npz_is_an_error_naming_the_file(tmp_path, content):
    from mnistgan.cli.evaluate import load_samples
    from mnistgan.errors import MnistganError

    path = tmp_path / "bad.npz"
    if content == "wrong-shape":
        np.savez(path, images=np.zeros((4, 32, 32), np.uint8), labels=np.zeros(4, np.int64))
    elif content == "no-images":
        np.savez(path, pictures=np.zeros((4, 28, 28), np.uint8))
    elif content == "float-images":
        np.savez(path, images=np.zeros((4, 28, 28), np.float32), labels=np.zeros(4, np.int64))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(MnistganError, match=str(path)) as e:
        load_samples(path)
    assert "\n" not in str(e.value)


@pytest.mark.bad_input("file")
def test_bad_npz_on_the_command_line_is_one_line(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    r = mnistgan("evaluate", "--samples", str(tmp_path / "bad.npz"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(f"error: {tmp_path / 'bad.npz'}")


def test_npz_without_labels_is_scored_as_unconditional(tmp_path):
    from mnistgan.cli.evaluate import load_samples

    np.savez(tmp_path / "u.npz", images=np.zeros((5, 28, 28), np.uint8))
    images, labels = load_samples(tmp_path / "u.npz", num=3)
    assert images.shape == (3, 28, 28) and labels.tolist() == [-1, -1, -1]


@pytest.mark.bad_input("cli")
def test_model_or_samples_but_not_both():
    r = mnistgan("evaluate")
    assert r.returncode == 1 and "either --model or --samples" in r.stderr

"""train -> generate through the real CLI, and its one-line errors."""

import numpy as np
import pytest

from tests.cli.test_data_cli import mnistgan

TINY = ["--g-width", "8", "--d-width", "8", "--latent-dim", "16", "--no-progress", "--precision", "fp32"]


def tiny_run(tmp_path_factory, preset):
    out = tmp_path_factory.mktemp(f"{preset}-run")
    r = mnistgan("train", "--preset", preset, "--max-steps", "3", "--batch-size", "32", "--out", str(out), *TINY)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def cond_run(tmp_path_factory):
    return tiny_run(tmp_path_factory, "cdcgan")


@pytest.fixture(scope="module")
def uncond_run(tmp_path_factory):
    return tiny_run(tmp_path_factory, "mlp-gan")


def test_generate_npz_contract_conditional(cond_run, tmp_path):
    out = tmp_path / "s.npz"
    r = mnistgan("generate", "--model", str(cond_run / "model"), "--num", "25", "--seed", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    with np.load(out) as f:
        images, labels = f["images"], f["labels"]
    assert images.shape == (25, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels.tolist() == [i % 10 for i in range(25)]
    again = tmp_path / "again.npz"
    mnistgan("generate", "--model", str(cond_run), "--num", "25", "--seed", "3", "--out", str(again))
    with np.load(again) as f:
        assert np.array_equal(f["images"], images)  # same seed, same output (run dir works too)


def test_generate_one_digit_png(cond_run, tmp_path):
    out = tmp_path / "sevens.png"
    r = mnistgan("generate", "--model", str(cond_run / "model"), "--num", "16", "--digit", "7", "--out", str(out))
    assert r.returncode == 0, r.stderr
    from PIL import Image

    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (2 * (4 * 30 + 2),) * 2


def test_generate_unconditional_labels_are_minus_one(uncond_run, tmp_path):
    out = tmp_path / "u.npz"
    assert mnistgan("generate", "--model", str(uncond_run / "model"), "--num", "5", "--out", str(out)).returncode == 0
    with np.load(out) as f:
        assert f["labels"].tolist() == [-1] * 5


@pytest.mark.bad_input("cli")
@pytest.mark.parametrize("args, message", [
    (["train", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--epochs", "-1"], "--epochs must be at least 1"),
    (["train", "--lr", "5"], "--lr-g must be in (0, 1)"),
    (["generate", "--model", "no-such-model", "--out", "x.png"], "unknown model 'no-such-model'"),
    (["generate", "--model", "./nowhere/model", "--out", "x.png"], "no such model folder"),
    (["generate", "--out", "x.txt", "--model", "hinge-sn"], None),
    (["train", "--bogus"], "No such option: --bogus"),
])
def test_bad_input_is_one_line_and_non_zero(args, message, tmp_path):
    r = mnistgan(*args)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    if message:
        assert message in last


@pytest.mark.bad_input("cli", n=2)
def test_digit_for_unconditional_model_and_out_of_range_digit(cond_run, uncond_run, tmp_path):
    r = mnistgan("generate", "--model", str(uncond_run), "--digit", "3", "--out", str(tmp_path / "a.png"))
    assert r.returncode == 1 and "unconditional" in r.stderr
    r = mnistgan("generate", "--model", str(cond_run), "--digit", "12", "--out", str(tmp_path / "a.png"))
    assert r.returncode == 1 and "digit must be an integer 0-9, got 12" in r.stderr


@pytest.mark.bad_input("cli")
def test_unwritable_out(cond_run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a file where a directory should be (root can write anywhere else)
    r = mnistgan("generate", "--model", str(cond_run), "--out", str(blocker / "x.png"))
    assert r.returncode == 1 and r.stderr.startswith("error: ") and "not a directory" in r.stderr

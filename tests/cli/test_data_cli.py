import subprocess
import sys

import pytest

from tests.conftest import REPO


def mnistgan(*args, **kw):
    return subprocess.run([sys.executable, "-m", "mnistgan", *args], capture_output=True, text=True, cwd=REPO, **kw)


def test_data_info_prints_counts_and_checksums():
    r = mnistgan("data", "info")
    assert r.returncode == 0, r.stderr
    assert "5923" in r.stdout and "1135" in r.stdout  # zeros in train, ones in test
    assert "SHA-256 verified" in r.stdout


def test_run_is_the_whole_main_job(tmp_path):
    """`mnistgan run` (what `make run` does), cut short: data, training, metrics, pictures, report."""
    r = mnistgan("run", "--out", str(tmp_path), "--max-steps", "20", "--num", "500")
    assert r.returncode == 0, r.stderr
    from PIL import Image

    with Image.open(tmp_path / "real_digits.png") as im:
        assert im.size == (3 * (10 * 30 + 2), 3 * (10 * 30 + 2))
    for name in ("model/model.safetensors", "losses.png", "grid.png", "real_vs_fake.png", "metrics.json", "report.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    metrics = __import__("json").loads((tmp_path / "metrics.json").read_text())
    assert metrics["num"] == 500 and metrics["metrics"]["fid"] > metrics["floor"]["fid"]


@pytest.mark.bad_input("cli")
def test_bad_data_dir_is_one_line_and_non_zero(tmp_path, monkeypatch):
    r = mnistgan("data", "fetch", "--data-dir", str(tmp_path / "nowhere"), env={"PATH": "/nonexistent", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "c"), "MNISTGAN_MIRRORS": "http://127.0.0.1:9/"})
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("error: could not obtain MNIST") and "Traceback" not in r.stderr


def test_every_command_has_help():
    for args in (["--help"], ["data", "--help"], ["data", "fetch", "--help"], ["data", "info", "--help"], ["run", "--help"],
                 ["train", "--help"], ["generate", "--help"], ["presets", "--help"], ["models", "--help"],
                 ["models", "add", "--help"], ["evaluate", "--help"]):
        r = mnistgan(*args)
        assert r.returncode == 0 and "Usage" in r.stdout, args

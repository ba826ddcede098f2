"""Bad files: each gives a one-line error naming the file and a non-zero exit; nothing pickled ever runs."""

import errno
import json
import pickle
import shutil
import subprocess
import sys

import pytest
import torch

from mnistgan import checkpoint, registry
from mnistgan.train.rundir import RunDir
from mnistgan.errors import ModelFileError
from mnistgan.nets import load_generator
from tests.conftest import REPO

BUNDLED = registry.BUNDLED / registry.DEFAULT_MODEL


def mnistgan(*args):
    return subprocess.run([sys.executable, "-m", "mnistgan", *args], capture_output=True, text=True, cwd=REPO, timeout=300)


def one_line_error(r, fragment):
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], r.stderr


class Exploit:
    """Unpickling this runs code (it would create the marker file)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def model_copy(tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(BUNDLED, dst)
    return dst


@pytest.mark.bad_input("file")
def test_a_pickle_posing_as_weights_never_runs(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    (model_copy / "model.safetensors").write_bytes(pickle.dumps({"weights": Exploit(marker)}))
    with pytest.raises(ModelFileError, match="model.safetensors: not a valid safetensors file"):
        load_generator(model_copy)
    r = mnistgan("generate", "--model", str(model_copy), "--out", str(tmp_path / "x.png"))
    one_line_error(r, str(model_copy / "model.safetensors"))
    assert not marker.exists()


@pytest.mark.bad_input("file")
def test_a_pickled_checkpoint_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    torch.save({"G": Exploit(marker)}, run / "checkpoints" / "ckpt-000000010.safetensors")
    r = mnistgan("train", "--resume", str(run))
    one_line_error(r, "every checkpoint is unreadable")
    assert not marker.exists()


@pytest.mark.bad_input("file")
def test_truncated_weights_are_named(model_copy, tmp_path):
    w = model_copy / "model.safetensors"
    w.write_bytes(w.read_bytes()[:1000])
    one_line_error(mnistgan("generate", "--model", str(model_copy), "--out", str(tmp_path / "x.png")), str(w))


@pytest.mark.bad_input("file")
def test_config_and_weights_that_do_not_match(model_copy, tmp_path):
    cfg = json.loads((model_copy / "config.json").read_text())
    (model_copy / "config.json").write_text(json.dumps({**cfg, "width": cfg["width"] * 2}))
    one_line_error(mnistgan("generate", "--model", str(model_copy), "--out", str(tmp_path / "x.png")),
                   "weights do not match config.json")


@pytest.mark.bad_input("file")
def test_config_that_is_not_json(model_copy, tmp_path):
    (model_copy / "config.json").write_text("{nope")
    one_line_error(mnistgan("generate", "--model", str(model_copy), "--out", str(tmp_path / "x.png")),
                   str(model_copy / "config.json"))


@pytest.mark.bad_input("file")
def test_malformed_idx_and_wrong_checksum_in_a_data_dir(mnist_cache, tmp_path):
    d = tmp_path / "raw"
    shutil.copytree(mnist_cache, d)
    (d / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc")
    r = mnistgan("data", "info", "--data-dir", str(d))
    assert r.returncode == 0  # the bad file is reported, and the verified cache serves
    assert f"{d / 't10k-labels-idx1-ubyte'}: SHA-256 mismatch" in r.stderr


def test_a_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    """Disk full (ENOSPC) while writing a checkpoint: a clear error, the older checkpoint intact."""
    from mnistgan.train.session import build_trainer

    tiny = dict(g_width=8, d_width=8, latent_dim=16, precision="fp32", device="cpu", batch_size=32, max_steps=2)
    trainer = build_trainer("mlp-gan", None, tiny, tmp_path, None, log=lambda m: None, progress=False)
    trainer.fit()
    (good,) = RunDir(tmp_path).checkpoints()
    before = good.read_bytes()

    def disk_full(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "save_file", disk_full)
    trainer.progress.step += 1  # a later checkpoint name
    with pytest.raises(ModelFileError, match="No space left on device.*previous checkpoint is intact"):
        trainer.save_checkpoint()
    assert RunDir(tmp_path).checkpoints() == [good] and good.read_bytes() == before
    assert not [p for p in (tmp_path / "checkpoints").iterdir() if p.name.endswith(".tmp")]


def test_two_concurrent_model_adds_lose_nothing(tmp_path):
    home = tmp_path / "home"
    env_cmd = [sys.executable, "-c",
               "import sys; from mnistgan import registry; print(registry.add(sys.argv[1], 'twin').version)",
               str(BUNDLED)]
    import os

    env = {**os.environ, "MNISTGAN_HOME": str(home)}
    procs = [subprocess.Popen(env_cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    versions = sorted(int(p.communicate(timeout=120)[0]) for p in procs)
    assert versions == [1, 2, 3, 4]
    assert sorted(d.name for d in (home / "models" / "twin").iterdir()) == ["v1", "v2", "v3", "v4"]

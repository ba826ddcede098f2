"""`mnistgan export --format onnx` through the real CLI, `serve --backend`, and their one-line errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
import torch

from mnistgan.cli import main
from mnistgan.nets import load_generator
from mnistgan.registry import BUNDLED
from tests import unprivileged
from tests.cli.test_data_cli import mnistgan
from tests.conftest import REPO


@pytest.mark.parametrize("name", ["cdcgan", "mlp-gan"])
def test_export_writes_a_graph_onnxruntime_runs(name, tmp_path):
    out = tmp_path / "nested" / f"{name}.onnx"
    r = mnistgan("export", name, "--format", "onnx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert f"wrote {name}@1 as ONNX to {out}" in r.stdout
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left beside it
    G = load_generator(BUNDLED / name)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    z = np.random.default_rng(0).standard_normal((3, G.latent_dim), dtype=np.float32)
    digits = np.array([0, 4, 9])
    feeds = {"z": z, "digits": digits} if G.conditional else {"z": z}
    (images,) = session.run(None, feeds)
    with torch.no_grad():
        expected = G(torch.from_numpy(z), torch.from_numpy(digits) if G.conditional else None).numpy()
    np.testing.assert_allclose(images, expected, atol=1e-4, rtol=0)


BAD_EXPORTS = [
    (["export", "nope", "--out", "{tmp}/g.onnx"], "unknown model 'nope'"),
    (["export", "{tmp}/no-such-folder", "--out", "{tmp}/g.onnx"], "no such model folder"),
    (["export", "dcgan", "--format", "tflite", "--out", "{tmp}/g.onnx"], "--format must be onnx, not 'tflite'"),
    (["export", "dcgan", "--out", "{tmp}/g.png"], "output must end in .onnx"),
    (["export", "dcgan", "--out", "{blocker}/g.onnx"], "output directory {blocker} is not a directory"),
    (["export", "dcgan", "--out", "{tmp}/a-folder.onnx"], "{tmp}/a-folder.onnx: cannot write (Is a directory)"),
    (["serve", "--backend", "tensorflow"], "--backend must be torch or onnx, not 'tensorflow'"),
]


@pytest.mark.bad_input("cli")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("args, fragment", BAD_EXPORTS, ids=[" ".join(a) for a, _ in BAD_EXPORTS])
def test_bad_export_or_backend_is_one_error_line(args, fragment, tmp_path, monkeypatch, capsys):
    (tmp_path / "blocker").write_text("")
    (tmp_path / "a-folder.onnx").mkdir()
    monkeypatch.setenv("MNISTGAN_HOME", str(tmp_path / "home"))
    places = {"tmp": str(tmp_path), "blocker": str(tmp_path / "blocker")}
    with pytest.raises(SystemExit) as e:
        main([a.format(**places) for a in args])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 1 and "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment.format(**places) in err, err


@pytest.mark.bad_input("cli")
def test_export_into_a_read_only_directory_is_one_error_line():
    with unprivileged.workspace() as root:
        ro = root / "ro"
        ro.mkdir()
        unprivileged.give(root)
        unprivileged.read_only(ro)
        command = [sys.executable, "-m", "mnistgan", "export", "dcgan", "--out", str(ro / "g.onnx")]
        r = subprocess.run(unprivileged.command(command), cwd=REPO, env=unprivileged.environment(root),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 1, r.stderr
        assert r.stderr.strip() == f"error: {ro / 'g.onnx'}: output directory {ro} is not writable", r.stderr
        assert list(ro.iterdir()) == []

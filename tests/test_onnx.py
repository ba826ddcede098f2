"""The onnx backend: every bundled model's ONNX graphs draw what PyTorch draws, with no torch imported.

The graphs are exported once for the module, into a temporary $MNISTGAN_HOME's cache.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import httpx
import numpy as np
import onnxruntime as ort
import pytest
import torch
from safetensors.torch import load_file, save_file

from mnistgan import registry
from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.nets import load_generator
from mnistgan.onnx_backend import OnnxBackend
from mnistgan.onnx_cache import GENERATOR_GRAPH, INTERPOLATION_GRAPH, graph_folder
from mnistgan.sampling import SERVE_BACKEND_ENV, Sampler
from tests.conftest import REPO
from tests.serve.serving import LiveServer

BUNDLED = [r for r in registry.all_models() if r.bundled]
ATOL = 1e-4  # on images in [-1, 1]


@pytest.fixture(scope="module")
def onnx_home(tmp_path_factory):
    """An MNISTGAN_HOME whose ONNX cache holds every bundled model's graphs."""
    home = tmp_path_factory.mktemp("onnx-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNISTGAN_HOME", str(home))
        for ref in BUNDLED:
            graph_folder(ref.path)
        yield home


def torch_images(G, z: np.ndarray, digits: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return G(torch.from_numpy(z), torch.from_numpy(digits) if G.conditional else None).numpy()


def test_every_bundled_model_is_tested():
    assert {r.name for r in BUNDLED} >= {"cdcgan", "dcgan", "hinge-sn", "mlp-gan", "wgan-gp"}


@pytest.mark.parametrize("ref", BUNDLED, ids=lambda r: r.name)
def test_onnxruntime_draws_what_pytorch_draws_at_any_batch_size(ref, onnx_home):
    G = load_generator(ref.path)
    session = ort.InferenceSession(str(graph_folder(ref.path) / GENERATOR_GRAPH), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == (["z", "digits"] if G.conditional else ["z"])
    rng = np.random.default_rng(0)
    for n in (1, 37):
        z = rng.standard_normal((n, G.latent_dim), dtype=np.float32)
        digits = rng.integers(0, 10, n)
        feeds = {"z": z, "digits": digits} if G.conditional else {"z": z}
        (images,) = session.run(None, feeds)
        assert images.shape == (n, 1, 28, 28) and images.dtype == np.float32
        np.testing.assert_allclose(images, torch_images(G, z, digits), atol=ATOL, rtol=0)
        assert images.std() > 0.1  # digits, not a blank page that would match a blank page


@pytest.mark.parametrize("slerp", [False, True], ids=["lerp", "slerp"])
@pytest.mark.parametrize("ref", BUNDLED, ids=lambda r: r.name)
def test_interpolation_on_onnx_matches_torch(ref, slerp, onnx_home):
    on_torch = Sampler.from_pretrained(ref.path)
    on_onnx = Sampler.from_pretrained(ref.path, backend="onnx")
    za, zb = on_torch.noise(2, seed=3)
    digits = (1, 8) if on_torch.conditional else None
    expected = on_torch.backend.interpolate(za, zb, 7, slerp, digits)
    frames = on_onnx.backend.interpolate(za.numpy(), zb.numpy(), 7, slerp, digits)
    assert frames.shape == (7, 28, 28) and frames.dtype == np.uint8
    assert np.abs(frames.astype(int) - expected).max() <= 1  # float rounding can move a pixel one level
    assert (frames[0] != frames[-1]).any()


@pytest.mark.parametrize("name", ["cdcgan", "mlp-gan"])
def test_the_sampler_decodes_the_same_digits_on_both_backends(name, onnx_home):
    on_torch, on_onnx = Sampler.from_pretrained(name), Sampler.from_pretrained(name, backend="onnx")
    z = on_torch.noise(40, seed=11)
    labels = on_torch.labels_for(40, [2, 5] if on_torch.conditional else None)
    expected = on_torch.decode(z, labels)
    assert np.abs(on_onnx.decode(z.numpy(), labels).astype(int) - expected).max() <= 1


def test_onnx_noise_is_numpys_seeded_generator(onnx_home):
    s = Sampler.from_pretrained("cdcgan", backend="onnx")
    z = s.noise(5, seed=9)
    np.testing.assert_array_equal(z, np.random.default_rng(9).standard_normal((5, s.latent_dim), dtype=np.float32))
    truncated = s.noise(500, seed=9, truncation=0.5, temperature=0.8)
    assert truncated.dtype == np.float32 and np.abs(truncated).max() <= 0.5 * 0.8 + 1e-7
    a, labels = s.sample(30, digits=[4, 6], seed=2)
    b, _ = s.sample(30, digits=[4, 6], seed=2)
    np.testing.assert_array_equal(a, b)  # same seed, same digits
    assert labels.tolist() == [4, 6] * 15
    assert (s.sample(30, digits=[4, 6], seed=3)[0] != a).any()


NO_TORCH = """
import json, sys
from mnistgan.sampling import Sampler
cond = Sampler.from_pretrained("cdcgan", backend="onnx")
uncond = Sampler.from_pretrained("mlp-gan", backend="onnx")
shapes = [cond(12, digits=3, seed=1).shape, cond.interpolate(5, 1, 8, slerp=True).shape,
          uncond(4, seed=0, truncation=1.0).shape, uncond.interpolate(3).shape]
print(json.dumps({"shapes": shapes, "torch": sorted(m for m in sys.modules if m.split(".")[0] == "torch")}))
"""


def test_generating_on_onnx_imports_no_torch(onnx_home):
    r = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True, cwd=REPO, timeout=120,
                       env={**os.environ, "MNISTGAN_HOME": str(onnx_home)})
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result == {"shapes": [[12, 28, 28], [5, 28, 28], [4, 28, 28], [3, 28, 28]], "torch": []}


def test_the_cache_follows_the_weights(onnx_home, tmp_path):
    copy = tmp_path / "dcgan"
    shutil.copytree(registry.BUNDLED / "dcgan", copy)
    assert graph_folder(copy) == graph_folder(registry.BUNDLED / "dcgan")  # same files: exported once, shared
    weights = load_file(copy / "model.safetensors")
    save_file({k: v * 0.5 if v.is_floating_point() else v for k, v in weights.items()}, copy / "model.safetensors")
    retrained = graph_folder(copy)
    assert retrained != graph_folder(registry.BUNDLED / "dcgan")
    G = load_generator(copy)
    z = np.random.default_rng(1).standard_normal((3, G.latent_dim), dtype=np.float32)
    (images,) = ort.InferenceSession(str(retrained / GENERATOR_GRAPH)).run(None, {"z": z})
    np.testing.assert_allclose(images, torch_images(G, z, None), atol=ATOL, rtol=0)


def test_only_conditional_models_get_an_interpolation_graph(onnx_home):
    for ref in BUNDLED:
        conditional = load_generator(ref.path).conditional
        assert (graph_folder(ref.path) / INTERPOLATION_GRAPH).is_file() == conditional, ref.name


@pytest.mark.bad_input("file")
def test_a_corrupt_cached_graph_is_an_error_naming_it(tmp_path):
    (tmp_path / GENERATOR_GRAPH).write_bytes(b"not a graph")
    with pytest.raises(ModelFileError, match=f"{tmp_path / GENERATOR_GRAPH}: not a graph onnxruntime can load"):
        OnnxBackend(tmp_path)


def test_unknown_backend_or_a_device_for_onnx_is_refused(onnx_home):
    with pytest.raises(MnistganError, match="backend must be torch or onnx, got 'tensorflow'"):
        Sampler.from_pretrained("cdcgan", backend="tensorflow")
    with pytest.raises(MnistganError, match="the onnx backend runs on the CPU, not on cuda"):
        Sampler.from_pretrained("cdcgan", backend="onnx", device="cuda")


@pytest.mark.timeout(300)
def test_serve_on_onnx_answers_a_generate_request(onnx_home, tmp_path, monkeypatch):
    # LiveServer starts `mnistgan serve` with this environment: MNISTGAN_SERVE_BACKEND is --backend's variable.
    monkeypatch.setenv(SERVE_BACKEND_ENV, "onnx")
    with LiveServer(onnx_home, tmp_path / "votes.sqlite") as server:
        body = {"model": "cdcgan", "num": 6, "digits": 3, "seed": 7, "format": "npz"}
        r = httpx.post(f"{server.url}/v1/generate", json=body, timeout=60)
        assert r.status_code == 200, r.text
        with np.load(io.BytesIO(r.content)) as f:
            served = f["images"]
        log = server.log.read_text()
    assert "model version(s) on onnx" in log and "ONNX graphs ready" in log, log
    np.testing.assert_array_equal(served, Sampler.from_pretrained("cdcgan", backend="onnx").sample(6, 3, seed=7)[0])
    assert (served != Sampler.from_pretrained("cdcgan").sample(6, 3, seed=7)[0]).any()  # not torch's noise

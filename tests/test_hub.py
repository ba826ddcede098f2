"""`models push` to the Hub and `hf:USER/REPO[@REVISION]` models from it, through the real CLI.

Every client call runs in a subprocess with HF_ENDPOINT on FakeHub (tests/hub_server.py), a real
HTTP server on a loopback port, so huggingface_hub reads its settings at import as it would for a
user (conftest sets HF_HUB_OFFLINE=1 for the rest of the tests), with a Hub cache of its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from mnistgan.registry import BUNDLED
from tests.cli.test_data_cli import mnistgan
from tests.conftest import REPO, closed_port_url
from tests.hub_server import INITIAL_FILES, FakeHub

DRAW = ["--num", "20", "--seed", "5"]


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as running:
        running.create("alice/known")  # the bundled cdcgan, put there by hand for the error cases
        running.commit("alice/known", {p.name: p.read_bytes() for p in (BUNDLED / "cdcgan").iterdir()}, "cdcgan")
        running.create("alice/not-a-model")
        running.commit("alice/not-a-model", {"README.md": b"# a dataset card\n"}, "card only")
        yield running


@pytest.fixture
def hub_env(hub, tmp_path) -> dict[str, str]:
    """Online against the fake Hub and logged in to it, with a fresh Hub cache and registry."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return {**inherited, "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_TOKEN": hub.token,
            "HF_HOME": str(tmp_path / "hf"), "MNISTGAN_HOME": str(tmp_path / "home"), "NO_PROXY": "127.0.0.1"}


def push(env: dict, model: str, repo: str) -> str:
    """Push through the CLI; the commit hash it reports."""
    r = mnistgan("models", "push", model, "--repo", repo, env=env)
    assert r.returncode == 0, r.stderr
    return re.search(rf"hf:{repo}@([0-9a-f]{{40}})", r.stdout).group(1)


def generated(env: dict, model: str, out) -> np.ndarray:
    r = mnistgan("generate", "--model", model, *DRAW, "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    with np.load(out) as f:
        return f["images"]


def test_a_pushed_model_comes_back_as_the_same_digits_and_then_offline(hub, hub_env, tmp_path):
    added = mnistgan("models", "add", str(BUNDLED / "cdcgan"), "--name", "digits", env=hub_env)
    assert added.returncode == 0, added.stderr
    commit = push(hub_env, "digits@1", "alice/digits")
    folder = tmp_path / "home" / "models" / "digits" / "v1"
    assert hub.files("alice/digits") == {**INITIAL_FILES, **{p.name: p.read_bytes() for p in folder.iterdir()}}
    assert push(hub_env, "digits", "alice/digits") == commit  # nothing changed: no new commit

    local = generated(hub_env, "digits@1", tmp_path / "local.npz")
    assert np.array_equal(generated(hub_env, "hf:alice/digits", tmp_path / "hub.npz"), local)
    assert list((tmp_path / "hf" / "hub").glob("models--alice--digits/snapshots/*/model.safetensors"))

    # Offline, with the Hub gone too, the Python API finds the model in huggingface_hub's cache.
    offline = {**hub_env, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": closed_port_url()}
    code = ("import sys, numpy as np; from mnistgan import Sampler; "
            "np.save(sys.argv[1], Sampler.from_pretrained('hf:alice/digits')(20, seed=5))")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "api.npy")], env=offline, cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "api.npy"), local)


def test_a_revision_pins_the_push_it_names(hub_env, tmp_path):
    first = push(hub_env, "cdcgan", "alice/pinned")
    push(hub_env, "dcgan", "alice/pinned")  # main moves on to another model
    assert np.array_equal(generated(hub_env, f"hf:alice/pinned@{first}", tmp_path / "first.npz"),
                          generated(hub_env, "cdcgan", tmp_path / "cdcgan.npz"))
    assert np.array_equal(generated(hub_env, "hf:alice/pinned", tmp_path / "main.npz"),
                          generated(hub_env, "dcgan", tmp_path / "dcgan.npz"))


UNKNOWN_COMMIT = "0123456789abcdef0123456789abcdef01234567"
NO_HUB, OFFLINE, NO_TOKEN, BAD_TOKEN = ({"HF_ENDPOINT": "{closed}"}, {"HF_HUB_OFFLINE": "1"}, {"HF_TOKEN": None},
                                       {"HF_TOKEN": "hf_wrong"})
GENERATE = ["generate", "--out", "{tmp}/d.png", "--model"]
PUSH = ["models", "push", "cdcgan", "--repo"]
BAD_INPUTS = [
    ([*GENERATE, "hf:"], {}, "'hf:' names no repo: use hf:USER/REPO"),
    ([*GENERATE, "hf:alice"], {}, "invalid Hub repo 'alice': use USER/REPO"),
    ([*GENERATE, "hf:alice/a/b"], {}, "invalid Hub repo 'alice/a/b'"),
    ([*GENERATE, "hf:alice/bad--name"], {}, "invalid Hub repo 'alice/bad--name'"),
    ([*GENERATE, "hf:alice/known@x..y"], {}, "invalid revision 'x..y'"),
    ([*GENERATE, "hf:alice/missing"], {}, "hf:alice/missing: no such model repo on the Hub"),
    ([*GENERATE, f"hf:alice/known@{UNKNOWN_COMMIT}"], {}, "the repo has no such revision"),
    ([*GENERATE, "hf:alice/not-a-model"], {}, "hf:alice/not-a-model: not an mnistgan model repo"),
    ([*GENERATE, "hf:alice/known"], OFFLINE, "hf:alice/known is not in the local Hub cache, and HF_HUB_OFFLINE=1"),
    ([*GENERATE, "hf:alice/known"], NO_HUB, "is not in the local Hub cache, and the Hub at http://127.0.0.1:"),
    ([*PUSH, "alice"], {}, "invalid Hub repo 'alice'"),
    (["models", "push", "nope", "--repo", "alice/x"], {}, "unknown model 'nope'"),
    (["models", "push", "hf:alice/known", "--repo", "alice/x"], {}, "invalid model name 'hf:alice/known'"),
    ([*PUSH, "alice/x"], NO_TOKEN, "not logged in to the Hugging Face Hub: run `hf auth login` or set HF_TOKEN"),
    ([*PUSH, "alice/x"], BAD_TOKEN, "hf:alice/x: the Hub answered 401: Invalid credentials"),
    ([*PUSH, "alice/x"], NO_HUB, "hf:alice/x: the Hub at http://127.0.0.1:"),
    ([*PUSH, "alice/x"], OFFLINE, "hf:alice/x: HF_HUB_OFFLINE=1 is set"),
]


@pytest.mark.bad_input("cli")
@pytest.mark.parametrize("args, env_changes, message", BAD_INPUTS)
def test_hub_problems_are_one_error_line(hub_env, tmp_path, args, env_changes, message):
    env = dict(hub_env)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value.format(closed=closed_port_url().rstrip("/"))
    r = mnistgan(*[a.format(tmp=tmp_path) for a in args], env=env)
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert r.returncode == 1 and len(errors) == 1 and "Traceback" not in r.stderr, r.stderr
    assert message in errors[0]


@pytest.mark.bad_input("api")
def test_the_server_never_downloads_what_a_request_names(hub, monkeypatch):
    """The REST API takes registry names only: an hf: spec is a malformed name, not a download."""
    from fastapi.testclient import TestClient
    from huggingface_hub import constants

    from mnistgan.serve.api import create_api

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)  # so that a download, were there one, would show in hub.calls
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    calls = len(hub.calls)
    r = TestClient(create_api()).post("/v1/generate", json={"model": "hf:alice/known", "num": 1})
    assert r.status_code == 422 and "invalid model name 'hf:alice/known'" in r.json()["detail"]
    assert len(hub.calls) == calls

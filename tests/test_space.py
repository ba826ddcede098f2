"""`mnistgan space`: the Space folder it writes, and that folder's app.py serving digits on its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from importlib import metadata

import httpx
import numpy as np
import pytest
import yaml

from mnistgan.cli import main
from mnistgan.registry import BUNDLED
from tests.cli.test_data_cli import mnistgan

MODELS = ("cdcgan", "dcgan")


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    out = tmp_path_factory.mktemp("space") / "digits"
    r = mnistgan("space", *MODELS, "--out", str(out), "--title", "Digits")
    assert r.returncode == 0, r.stderr
    return out


def test_the_folder_holds_what_a_gradio_space_needs(space):
    front = yaml.safe_load(space.joinpath("README.md").read_text(encoding="utf-8").split("---\n")[1])
    assert {"emoji", "colorFrom", "colorTo"} <= set(front) and front["title"] == "Digits"
    assert (front["sdk"], front["sdk_version"]) == ("gradio", metadata.version("gradio"))
    assert (front["app_file"], front["license"]) == ("app.py", "mit")
    pins = [line.split("==") for line in space.joinpath("requirements.txt").read_text().splitlines()
            if line and not line.startswith(("#", "--"))]
    assert {"torch", "gradio", "fastapi", "uvicorn", "safetensors"} <= {name for name, _ in pins}
    assert all(metadata.version(name) == version for name, version in pins)
    for name in MODELS:
        source = BUNDLED / name
        assert {p.name: p.read_bytes() for p in (space / "models" / name).iterdir()} == \
               {p.name: p.read_bytes() for p in source.iterdir()}
    assert (space / "mnistgan" / "serve" / "server.py").is_file() and (space / "app.py").is_file()
    assert not (space / "mnistgan" / "pretrained").exists()  # the Space serves its models/ only


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def started(folder, env: dict, url: str, log, within: float = 180):
    """`python app.py` in `folder`, as a Space runs it, until /healthz answers; stopped afterwards."""
    app = subprocess.Popen([sys.executable, "app.py"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + within
        while not _answers(url + "/healthz"):
            assert app.poll() is None and time.monotonic() < deadline, open(log.name).read()
            time.sleep(0.5)
        yield
    finally:
        app.terminate()
        app.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_its_app_serves_the_chosen_models_from_the_folder_alone(space, tmp_path):
    from mnistgan import Sampler

    # A mark on the copy of the package: /healthz reports it only if app.py imported that copy.
    init = space / "mnistgan" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "0.1.0"', '__version__ = "0.1.0+space"'))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MNISTGAN_BUNDLED")}
    env.update(MNISTGAN_HOME=str(tmp_path / "home"), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port),
               GRADIO_ANALYTICS_ENABLED="False")
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "app.log", "w") as log, started(space, env, url, log):
        assert httpx.get(url + "/healthz").json()["version"] == "0.1.0+space"
        assert [m["id"] for m in httpx.get(url + "/v1/models").json()["models"]] == ["cdcgan@1", "dcgan@1"]
        request = {"model": "cdcgan", "num": 8, "digits": 7, "format": "json"}
        r = httpx.post(url + "/v1/generate", json=request, timeout=60)
        assert r.status_code == 200, r.text
        expected = Sampler.from_pretrained("cdcgan")(8, digits=7, seed=0)
        assert np.array_equal(np.array(r.json()["images"], dtype=np.uint8), expected)
        page = httpx.get(url + "/", timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()


@pytest.mark.bad_input("cli", n=4)
def test_bad_space_requests_are_one_error_line(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    for args, message in [
        (["nope"], "unknown model 'nope'"),
        (["cdcgan", "--out", str(tmp_path / "full")], "exists and is not an empty folder"),
        (["cdcgan", "cdcgan@1"], "two of the models would both be served as 'cdcgan'"),
        (["cdcgan", "--title", " "], "--title must be one line of text"),
    ]:
        with pytest.raises(SystemExit) as e:
            main(["space", "--out", str(tmp_path / "new"), *args])
        lines = capsys.readouterr().err.strip().splitlines()
        assert e.value.code == 1 and len(lines) == 1 and lines[0].startswith("error: "), lines
        assert message in lines[0]
    assert not (tmp_path / "new").exists() and (tmp_path / "full" / "keep.txt").read_text() == "mine"

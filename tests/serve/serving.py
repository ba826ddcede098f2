"""Tiny real models in a temporary registry, and a live `mnistgan serve` subprocess on loopback.

Shared by the API and browser tests. The models are trained once per test run
(a few real MNIST steps at width 8): `tiny-cond` twice (versions 1 and 2, a
conditional DCGAN) and `tiny-uncond` (unconditional); beside them `tiny-style`, an
untrained conditional StyleGAN (`add_style_model`), for style mixing.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

TRAIN = [sys.executable, "-m", "mnistgan", "train", "--max-steps", "5", "--g-width", "8", "--d-width", "8",
         "--log-every", "1", "--no-progress"]

STYLE_MODEL = "tiny-style"
METRICS = {"model": {"fid": 287.5, "kid": 0.3125}, "floor": {"fid": 0.75, "kid": 0.0001}}


@contextmanager
def env(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@functools.lru_cache(maxsize=None)
def tiny_home() -> Path:
    """An MNISTGAN_HOME holding tiny-cond@1, tiny-cond@2 and tiny-uncond@1 (call after MNIST is cached).

    tiny-cond@1 carries made-up metrics (METRICS) so the pages that show them have something to show.
    """
    from mnistgan import registry
    from mnistgan.model_folder import read_info, write_info

    root = Path(tempfile.mkdtemp(prefix="mnistgan-serve-tests-"))
    atexit.register(shutil.rmtree, root, True)
    runs = {"cond": ("cdcgan", root / "runs" / "cond"), "uncond": ("dcgan", root / "runs" / "uncond")}
    procs = [subprocess.Popen([*TRAIN, "--preset", preset, "--out", str(out)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for preset, out in runs.values()]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out
    home = root / "home"
    with env(MNISTGAN_HOME=home):
        first = registry.add(runs["cond"][1], "tiny-cond")
        registry.add(runs["cond"][1], "tiny-cond")
        registry.add(runs["uncond"][1], "tiny-uncond")
    add_style_model(home, STYLE_MODEL)
    write_info(first.path, {**read_info(first.path), "metrics": METRICS})
    return home


def add_style_model(home: Path, name: str):
    """Register an untrained conditional StyleGAN (seeded, so always the same weights) as `name` in `home`:
    enough to mix styles, which needs no training."""
    import torch

    from mnistgan import registry
    from mnistgan.model_folder import write_info
    from mnistgan.nets import Generator

    folder = Path(tempfile.mkdtemp(prefix="mnistgan-stylegan-"))
    torch.manual_seed(0)
    Generator("stylegan", 16, 10, 4).save_pretrained(folder)
    with env(MNISTGAN_HOME=home):
        ref = registry.add(folder, name)
    shutil.rmtree(folder)
    write_info(ref.path, {"name": name, "preset": "stylegan", "objective": "bce"})
    return ref


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`python -m mnistgan serve` on an explicit free loopback port, killed on exit."""

    def __init__(self, home: Path, votes_db: Path, startup_timeout: float = 120, bundled: bool = True):
        """`bundled=False` hides the package's own models, so the page shows only the test models."""
        self.home, self.votes_db, self.startup_timeout = Path(home), Path(votes_db), startup_timeout
        self.bundled = bundled
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.votes_db.with_suffix(".log")

    def __enter__(self) -> "LiveServer":
        environment = {**os.environ, "MNISTGAN_HOME": str(self.home), "GRADIO_ANALYTICS_ENABLED": "False"}
        if not self.bundled:
            empty = self.votes_db.parent / "no-bundled-models"
            empty.mkdir(exist_ok=True)
            environment["MNISTGAN_BUNDLED"] = str(empty)
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mnistgan", "serve", "--port", str(self.port), "--votes-db", str(self.votes_db)],
            env=environment, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        self.__exit__()
        raise RuntimeError(f"server not up after {self.startup_timeout}s:\n{self.log.read_text()}")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

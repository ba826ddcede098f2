"""`mnistgan serve`: the web page at / and the REST API under /v1, in one process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from mnistgan.cli import app
from mnistgan.console import log
from mnistgan.errors import MnistganError

if TYPE_CHECKING:
    from mnistgan.registry import ModelRef

# = mnistgan.sampling.SERVE_BACKEND_ENV, copied because mnistgan.sampling imports numpy and onnx_backend, which
# `--help` should not wait for; tests/cli/test_startup.py holds the two equal.
SERVE_BACKEND_ENV = "MNISTGAN_SERVE_BACKEND"
ONEDNN_CACHE_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
ONEDNN_CACHE_ENTRIES = 128  # kernels oneDNN keeps compiled (see serve below)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 exposes it to the network."),
    port: int = typer.Option(7860, "--port", min=0, max=65535, help="TCP port."),
    votes_db: Optional[Path] = typer.Option(None, "--votes-db", help="SQLite file for A/B votes. Default: $MNISTGAN_HOME/votes.sqlite."),
    workers: int = typer.Option(2, "--workers", min=1, max=64, help="Generation requests run at once; the rest queue."),
    backend: str = typer.Option("torch", "--backend", envvar=SERVE_BACKEND_ENV, help="Run the generators on PyTorch (torch) or onnxruntime (onnx: each model's ONNX graphs are exported once, into $MNISTGAN_HOME/cache/onnx)."),
) -> None:
    """Serve the web app (/) and the REST API (/v1, documented at /docs) over the registry's models."""
    from mnistgan.sampling import BACKENDS

    if backend not in BACKENDS:
        raise MnistganError(f"--backend must be {' or '.join(BACKENDS)}, not {backend!r}")
    # oneDNN caches a compiled kernel per layer and input shape, so every distinct request size adds
    # some: the default 1,024 entries grew a server of the bundled models by ~450 MB (r3gan's grouped
    # convolutions alone ~0.45 MB an entry). This bounds it; set before torch runs its first op.
    os.environ.setdefault(ONEDNN_CACHE_ENV, str(ONEDNN_CACHE_ENTRIES))
    # Here, not at the top: torch, FastAPI, Gradio and uvicorn take seconds to import (and the last three are
    # the optional `serve` extra), which every other command and `mnistgan --help` would pay for.
    import torch
    import uvicorn

    from mnistgan.registry import all_models
    from mnistgan.serve.server import create_app
    from mnistgan.votes import VoteStore

    # Requests run side by side, one per worker: split the cores between them rather than
    # letting every request's intra-op threads fight over all of them.
    threads = max(1, (os.cpu_count() or 1) // workers)
    torch.set_num_threads(threads)
    votes = VoteStore(votes_db)  # fails here, with a clear message, if the file cannot be opened
    models = all_models()
    if models:
        log(f"serving {len(models)} model version(s) on {backend}: {', '.join(m.id for m in models)}")
    else:
        log("no models installed yet: the page explains how to add one")
    os.environ[SERVE_BACKEND_ENV] = backend  # what the app's ModelService runs samplers on
    if backend == "onnx":
        os.environ["OMP_NUM_THREADS"] = str(threads)  # each onnxruntime session's threads (onnx_backend.py)
        _export_onnx_graphs(models)
    log(f"votes in {votes.path}")
    log(f"web app: http://{host}:{port}/   REST API docs: http://{host}:{port}/docs")
    uvicorn.run(create_app(votes.path, workers=workers), host=host, port=port, log_level="warning",
                timeout_graceful_shutdown=5)


def _export_onnx_graphs(models: list[ModelRef]) -> None:
    """Export the graphs the cache lacks now, so no request waits seconds for an export (models
    added later are exported on their first request). A model that fails is served as before: its
    requests get the error."""
    from mnistgan.onnx_cache import graph_folder

    for m in models:
        try:
            graph_folder(m.path)
        except MnistganError as e:
            log(f"{m.id}: no ONNX graphs ({e})")
    log("ONNX graphs ready")

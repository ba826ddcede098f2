"""`mnistgan serve`: the web page at / and the REST API under /v1, in one process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.console import log
from mnistgan.registry import all_models
from mnistgan.votes import VoteStore


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 exposes it to the network."),
    port: int = typer.Option(7860, "--port", min=0, max=65535, help="TCP port."),
    votes_db: Optional[Path] = typer.Option(None, "--votes-db", help="SQLite file for A/B votes. Default: $MNISTGAN_HOME/votes.sqlite."),
    workers: int = typer.Option(2, "--workers", min=1, max=64, help="Generation requests run at once; the rest queue."),
) -> None:
    """Serve the web app (/) and the REST API (/v1, documented at /docs) over the registry's models."""
    # Here, not at the top: torch, FastAPI, Gradio and uvicorn take seconds to import (and the last three are
    # the optional `serve` extra), which every other command and `mnistgan --help` would pay for.
    import torch
    import uvicorn

    from mnistgan.serve.server import create_app

    # Requests run side by side, one per worker: split the cores between them rather than
    # letting every request's intra-op threads fight over all of them.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    votes = VoteStore(votes_db)  # fails here, with a clear message, if the file cannot be opened
    models = all_models()
    if models:
        log(f"serving {len(models)} model version(s): {', '.join(m.id for m in models)}")
    else:
        log("no models installed yet: the page explains how to add one")
    log(f"votes in {votes.path}")
    log(f"web app: http://{host}:{port}/   REST API docs: http://{host}:{port}/docs")
    uvicorn.run(create_app(votes.path, workers=workers), host=host, port=port, log_level="warning",
                timeout_graceful_shutdown=5)

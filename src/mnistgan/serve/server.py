"""The app `mnistgan serve` runs: the REST API, and the web page mounted at `/`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from mnistgan.serve.api import DEFAULT_WORKERS, create_api
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.page import mount_page
from mnistgan.votes import VoteStore


def create_app(votes_db: str | Path | None = None, workers: int = DEFAULT_WORKERS, ui: bool = True) -> FastAPI:
    """REST API under /v1, /healthz, OpenAPI at /docs and (with `ui`) the web page at /, sharing one ModelService."""
    models = ModelService()
    app = create_api(models, workers)
    if ui:
        app = mount_page(app, models, VoteStore(votes_db))
    return app

"""The REST API (FastAPI) over the registry's models, without the web page.

    GET  /healthz                 liveness and how many models are installed
    GET  /v1/models               every registered version
    GET  /v1/models/{name}        one model (NAME or NAME@VERSION): card, metrics, training summary
    POST /v1/generate             {model, num, digits, seed, truncation, temperature, format}

Models are addressed by registry name only, never by a path from a request.
Every input a client can get wrong is a 4xx whose `detail` says what is wrong:
404 for an unknown model, 413 for an oversized body, 422 for anything else.
Generation runs in worker threads behind a capacity limiter, so a burst of
clients queues for a slot instead of blocking the event loop.
"""

from __future__ import annotations

import json
from typing import Literal

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mnistgan import __version__, registry
from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.grids import DIGIT_CLASSES, grid_columns
from mnistgan.outputs import npz_bytes, png_bytes
from mnistgan.sampling import MAX_SEED, MAX_TRUNCATION
from mnistgan.serve.service import ModelNotFound, ModelService

MAX_NUM = 1024
MAX_BODY_BYTES = 64 * 1024
DEFAULT_WORKERS = 2
GENERATE_RESPONSES = {
    200: {"content": {"image/png": {}, "application/octet-stream": {}, "application/json": {}},
          "description": "A PNG grid, an NPZ file or JSON arrays, per `format`."},
    404: {"description": "Unknown model"}, 413: {"description": "Body too large"}, 422: {"description": "Invalid request"},
}


# ----------------------------------------------------------------- requests


class GenerateRequest(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False,
        json_schema_extra={"examples": [{"model": registry.DEFAULT_MODEL, "num": 16, "digits": 7, "seed": 0, "format": "png"}]},
    )

    model: str = Field(registry.DEFAULT_MODEL, min_length=1, max_length=100,
                       description="Registry name: NAME (its newest version) or NAME@VERSION; see GET /v1/models.")
    num: int = Field(64, ge=1, le=MAX_NUM, description=f"How many digits, 1..{MAX_NUM}.")
    digits: int | list[int] | None = Field(
        None, description="Conditional models only: one digit 0-9, or a list cycled over the samples. "
                          "Omit (or null) to cycle 0..9.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Same seed, same digits.")
    truncation: float | None = Field(None, gt=0, le=MAX_TRUNCATION, description="Resample noise beyond this magnitude (e.g. 1.0): "
                                                             "cleaner, less varied digits. Omit for none.")
    temperature: float = Field(1.0, ge=0, le=10, description="Scale of the noise.")
    format: Literal["png", "npz", "json"] = Field(
        "png", description="png: a grid image; npz: images uint8 [N,28,28] and labels int64 [N]; json: the same as arrays.")

    @field_validator("digits", mode="before")
    @classmethod
    def _check_digits(cls, v):
        def is_digit(d):
            return isinstance(d, int) and not isinstance(d, bool) and 0 <= d < DIGIT_CLASSES

        if v is None or is_digit(v):
            return v
        if isinstance(v, list) and 1 <= len(v) <= MAX_NUM and all(is_digit(d) for d in v):
            return v
        raise ValueError(f"must be an integer 0-9 or a list of 1..{MAX_NUM} of them (got {_short(v)})")


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validation_message(errors) -> str:
    """pydantic's errors as one line a person can act on: `field: what is wrong; ...`."""
    parts = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        msg = str(e.get("msg", "invalid value")).removeprefix("Value error, ")
        if e.get("type") == "json_invalid":
            msg = f"the body is not valid JSON ({(e.get('ctx') or {}).get('error', 'decode error')})"
            loc = []
        elif e.get("type") in ("model_attributes_type", "dict_type") and not loc:
            msg = "the body must be a JSON object"
        elif e.get("type") == "extra_forbidden":
            msg = f"unknown field (allowed: {', '.join(GenerateRequest.model_fields)})"
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(dict.fromkeys(parts)) or "invalid request"


# ----------------------------------------------------------------- middleware


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"request body too large: the limit is {limit} bytes")


class BodyLimit:
    """Refuse request bodies over `limit` bytes under `prefix`: by Content-Length up front, else while streaming."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, prefix: str = "/v1/"):
        self.app, self.limit, self.prefix = app, limit, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            status, detail = (413, BodyTooLarge(self.limit).detail) if length.isdigit() else (400, "bad Content-Length")
            return await _error(status, detail)(scope, receive, send)
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(self.limit)  # FastAPI re-raises HTTPExceptions from body reading: a 413
            return message

        await self.app(scope, limited, send)


# ----------------------------------------------------------------- errors


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
    return JSONResponse({"detail": _validation_message(exc.errors()), "errors": jsonable_encoder(errors)},
                        status_code=422)


async def _unknown_model(request: Request, exc: ModelNotFound) -> JSONResponse:
    return _error(404, str(exc))


async def _broken_model(request: Request, exc: ModelFileError) -> JSONResponse:
    return _error(503, f"the model cannot be loaded: {exc}")


async def _bad_value(request: Request, exc: MnistganError) -> JSONResponse:
    return _error(422, str(exc))


def add_error_handlers(app: FastAPI) -> None:
    """Library errors as 4xx/503 with a `detail`; Starlette picks the most specific class first."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ModelNotFound, _unknown_model)
    app.add_exception_handler(ModelFileError, _broken_model)
    app.add_exception_handler(MnistganError, _bad_value)


# ----------------------------------------------------------------- routes


def routes(models: ModelService, limiter: anyio.CapacityLimiter) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", tags=["health"], summary="Liveness")
    async def healthz() -> dict:
        return {"status": "ok", "version": __version__, "models": len(models.all())}

    @router.get("/v1/models", tags=["models"], summary="List the registered models")
    async def list_models() -> dict:
        return {"models": await anyio.to_thread.run_sync(models.listing)}

    @router.get("/v1/models/{name}", tags=["models"], summary="One model: card, metrics and training summary",
                responses={404: {"description": "Unknown model"}, 422: {"description": "Malformed name"}})
    async def get_model(name: str) -> dict:
        return await anyio.to_thread.run_sync(models.details, name)

    @router.post("/v1/generate", tags=["generate"], summary="Generate digits", responses=GENERATE_RESPONSES)
    async def generate(req: GenerateRequest) -> Response:
        return await anyio.to_thread.run_sync(generate_response, models, req, limiter=limiter)

    return router


def generate_response(models: ModelService, req: GenerateRequest) -> Response:
    sampler = models.sampler(req.model)
    if req.digits is not None and not sampler.conditional:
        raise MnistganError(f"digits: {sampler.name} is unconditional and cannot draw a chosen digit (omit digits)")
    images, labels = sampler.sample(req.num, req.digits, req.seed, req.truncation, req.temperature)
    headers = {"X-Model": sampler.name, "X-Conditional": str(sampler.conditional).lower()}
    if req.format == "png":
        columns = grid_columns(sampler.conditional, req.digits, req.num)
        return Response(png_bytes(images, columns), media_type="image/png", headers=headers)
    if req.format == "npz":
        headers["Content-Disposition"] = f'attachment; filename="{sampler.name.replace("@", "-")}-seed{req.seed}.npz"'
        return Response(npz_bytes(images, labels), media_type="application/octet-stream", headers=headers)
    body = {"model": sampler.name, "conditional": sampler.conditional, "shape": list(images.shape),
            "labels": labels.tolist(), "images": images.tolist()}
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json", headers=headers)


# ----------------------------------------------------------------- the app


def create_api(models: ModelService | None = None, workers: int = DEFAULT_WORKERS) -> FastAPI:
    """The REST API under /v1, /healthz and OpenAPI at /docs; `workers` generations run at once, the rest queue."""
    models = models or ModelService()
    app = FastAPI(
        title="mnistgan",
        version=__version__,
        description="Generate handwritten digits with the GANs in the mnistgan registry. "
                    "This is the REST API; `mnistgan serve` also puts a web page at `/`.",
    )
    app.state.models = models
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    add_error_handlers(app)
    app.include_router(routes(models, anyio.CapacityLimiter(max(1, workers))))
    return app

"""The REST API (FastAPI) over the registry's models, without the web page.

    GET  /healthz                 liveness and how many models are installed
    GET  /v1/models               every registered version
    GET  /v1/models/{name}        one model (NAME or NAME@VERSION): card, metrics, training summary
    POST /v1/generate             {model, num, digits, seed, truncation, temperature, format}
    POST /v1/mix                  {model, coarse_seeds, fine_seeds, digit, fine_digit, crossover, psi, format}

Models are addressed by registry name only, never by a path from a request.
Every input a client can get wrong is a 4xx whose `detail` says what is wrong:
400 for a body that cannot be parsed at all, 404 for an unknown model, 405 for
a method a path does not take, 413 for an oversized body, 422 for anything else.
The OpenAPI document says exactly this (tests/serve/test_contract.py holds it to
it with schemathesis). Generation runs in worker threads behind a capacity
limiter, so a burst of clients queues for a slot instead of blocking the event loop.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

import anyio
from annotated_types import Interval
from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mnistgan import __version__, registry
from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.grids import DIGIT_CLASSES, grid_columns
from mnistgan.outputs import npz_bytes, png_bytes
from mnistgan.sampling import MAX_SEED, MAX_TRUNCATION
from mnistgan.serve import mixing
from mnistgan.serve.mixing import MAX_CROSSOVER, MAX_MIX_SEEDS, MAX_PSI, Mix
from mnistgan.serve.service import ModelNotFound, ModelService

MAX_NUM = 1024
MAX_BODY_BYTES = 64 * 1024
DEFAULT_WORKERS = 2


def _unanchored(pattern: re.Pattern) -> str:
    return pattern.pattern.removesuffix(r"\Z")


# What registry.parse_name accepts, as a JSON Schema pattern (ECMA regex, anchored): the registry stays the one
# check, with its message; the schema only says it, so a client (or schemathesis) knows which names are well formed.
MODEL_NAME_PATTERN = f"^{_unanchored(registry.NAME)}(@{_unanchored(registry.VERSION)})?$"


class Problem(BaseModel):
    """The body of every error response: `detail` says what is wrong, in one line."""

    detail: str = Field(description="What is wrong, for a person to read.")
    errors: list[dict] | None = Field(None, description="422 from validation only: pydantic's errors, one per field.")


def problem(description: str) -> dict:
    return {"model": Problem, "description": description}


UNKNOWN_MODEL = problem("Unknown model (the name is well formed; the registry does not have it)")
BROKEN_MODEL = problem("The model is installed but its files cannot be loaded")
BODY_ERRORS = {
    400: problem("The body cannot be parsed at all (not UTF-8 text, or JSON nested thousands deep)"),
    404: UNKNOWN_MODEL, 413: problem("Body too large"), 503: BROKEN_MODEL,
}
GENERATE_RESPONSES = {
    200: {"content": {"image/png": {}, "application/octet-stream": {}, "application/json": {}},
          "description": "A PNG grid, an NPZ file or JSON arrays, per `format`."},
    **BODY_ERRORS, 422: problem("Invalid request"),
}
MIX_RESPONSES = {
    200: {"content": {"image/png": {}, "application/octet-stream": {}, "application/json": {}},
          "description": "The labelled mixing picture (PNG), or the grid as an NPZ file or JSON arrays, per `format`."},
    **BODY_ERRORS, 422: problem("Invalid request, or a model that cannot mix styles (no style layers, or a "
                                "server on the onnx backend)"),
}
# The stateful phase of a contract test (and a reader of /docs) learns that the ids GET /v1/models lists are names.
MODEL_LINKS = {"GetModel": {"operationId": "get_model", "parameters": {"name": "$response.body#/models/0/id"},
                            "description": "The first listed model, by its id (NAME@VERSION)."}}


# ----------------------------------------------------------------- requests


def whole(value):
    """7.0 as 7: JSON Schema's `integer` is any number without a fraction, so a schema-valid client may send it.
    Anything else passes unchanged, for strict validation to refuse with its message."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(whole)]
Digit = Annotated[int, Field(ge=0, le=DIGIT_CLASSES - 1)]
# The pattern is documentation only: the registry checks the name, so a malformed one gets its message (a 422).
ModelName = Annotated[str, Path(json_schema_extra={"pattern": MODEL_NAME_PATTERN}, examples=[registry.DEFAULT_MODEL],
                                description="NAME (its newest version) or NAME@VERSION, as GET /v1/models lists them.")]


class GenerateRequest(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False,
        json_schema_extra={"examples": [{"model": registry.DEFAULT_MODEL, "num": 16, "digits": 7, "seed": 0, "format": "png"}]},
    )

    model: str = Field(registry.DEFAULT_MODEL, min_length=1, max_length=100,
                       json_schema_extra={"pattern": MODEL_NAME_PATTERN},
                       description="Registry name: NAME (its newest version) or NAME@VERSION; see GET /v1/models.")
    num: WholeNumber = Field(64, ge=1, le=MAX_NUM, description=f"How many digits, 1..{MAX_NUM}.")
    digits: Digit | Annotated[list[Digit], Field(min_length=1, max_length=MAX_NUM)] | None = Field(
        None, description="Conditional models only: one digit 0-9, or a list cycled over the samples. "
                          "Omit (or null) to cycle 0..9.")
    seed: WholeNumber = Field(0, ge=0, le=MAX_SEED, description="Same seed, same digits.")
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

        v = [whole(d) for d in v] if isinstance(v, list) else whole(v)
        if v is None or is_digit(v):
            return v
        if isinstance(v, list) and 1 <= len(v) <= MAX_NUM and all(is_digit(d) for d in v):
            return v
        raise ValueError(f"must be an integer 0-9 or a list of 1..{MAX_NUM} of them (got {_short(v)})")


# annotated_types' bounds, not Field's: Field(ge=...) wrapped around WholeNumber (an Annotated with a validator)
# reaches the schema as "ge"/"le" keys, which JSON Schema does not know, instead of minimum/maximum.
Seed = Annotated[int, Interval(ge=0, le=MAX_SEED), BeforeValidator(whole)]
Seeds = Annotated[list[Seed], Field(min_length=1, max_length=MAX_MIX_SEEDS)]
MixDigit = Annotated[int, Interval(ge=0, le=DIGIT_CLASSES - 1), BeforeValidator(whole)]


class MixRequest(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False,
        json_schema_extra={"examples": [{"model": "stylegan", "coarse_seeds": [0, 1, 2, 3],
                                         "fine_seeds": [10, 11, 12, 13, 14], "digit": 7, "format": "png"}]},
    )

    model: str = Field(min_length=1, max_length=100, json_schema_extra={"pattern": MODEL_NAME_PATTERN},
                       description="A style-based model (preset stylegan), by registry name: NAME or NAME@VERSION.")
    coarse_seeds: Seeds = Field(list(mixing.DEFAULT_COARSE_SEEDS),
                                description=f"A row each (1..{MAX_MIX_SEEDS}): the seeds whose coarse styles "
                                            "(the digit's shape) the row takes.")
    fine_seeds: Seeds = Field(list(mixing.DEFAULT_FINE_SEEDS),
                              description=f"A column each (1..{MAX_MIX_SEEDS}): the seeds whose fine styles "
                                          "(stroke, texture) the column takes.")
    digit: MixDigit | None = Field(None, description="Conditional models only: the rows' digit, 0-9 (omit for 0).")
    fine_digit: MixDigit | None = Field(None, description="Conditional models only: the columns' digit "
                                                          "(omit for the rows').")
    crossover: WholeNumber = Field(mixing.COARSE_LAYERS, ge=1, le=MAX_CROSSOVER,
                                   description="The first style layer taken from the column: lower gives the "
                                               "column more of the digit.")
    psi: float = Field(1.0, ge=0, le=MAX_PSI, description="Truncation in w: 1 for none, below 1 pulls each "
                                                          "style toward its digit's average.")
    format: Literal["png", "npz", "json"] = Field(
        "png", description="png: the labelled picture; npz: images uint8 [rows,cols,28,28], coarse_seeds and "
                           "fine_seeds int64; json: the same as arrays.")

    def mix(self) -> Mix:
        return Mix(tuple(self.coarse_seeds), tuple(self.fine_seeds), self.digit, self.fine_digit, self.crossover,
                   self.psi)


# The body each POST route reads: the fields an "unknown field" message lists.
REQUESTS: dict[str, type[BaseModel]] = {"/v1/generate": GenerateRequest, "/v1/mix": MixRequest}


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validation_message(errors, fields) -> str:
    """pydantic's errors as one line a person can act on: `field: what is wrong; ...`; `fields` are the body's."""
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
            msg = f"unknown field (allowed: {', '.join(fields)})"
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


class UndeclaredMethods:
    """405, with `Allow`, for a method that the app's routes do not take on a path they serve.

    Starlette's router would say so itself, but the web page is mounted at `/` after the API's routes and
    takes every request they do not fully match, so without this a TRACE /healthz would be the page's 404.
    """

    def __init__(self, app: ASGIApp, routes: list[Route]):
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = self.allowed_methods(scope) if scope["type"] == "http" else None
        if allowed is None:
            return await self.app(scope, receive, send)
        response = _error(405, f"method {scope['method']} is not allowed here; allowed: {', '.join(allowed)}")
        response.headers["Allow"] = ", ".join(allowed)
        await response(scope, receive, send)

    def allowed_methods(self, scope: Scope) -> list[str] | None:
        """The methods the path takes when it is served but not with this method; None when the routes take it
        (or it is no route's path: then the page, or a 404, answers)."""
        allowed = set()
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return None
            if match is Match.PARTIAL:
                allowed |= route.methods or set()
        return sorted(allowed) or None


# ----------------------------------------------------------------- errors


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
    fields = REQUESTS.get(request.url.path, GenerateRequest).model_fields
    return JSONResponse({"detail": _validation_message(exc.errors(), fields), "errors": jsonable_encoder(errors)},
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


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    models: int = Field(description="How many model versions are installed.")


def routes(models: ModelService, limiter: anyio.CapacityLimiter) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", tags=["health"], summary="Liveness", operation_id="healthz")
    async def healthz() -> Health:
        return Health(status="ok", version=__version__, models=len(models.all()))

    @router.get("/v1/models", tags=["models"], summary="List the registered models", operation_id="list_models",
                responses={200: {"links": MODEL_LINKS}})
    async def list_models() -> dict:
        return {"models": await anyio.to_thread.run_sync(models.listing)}

    @router.get("/v1/models/{name}", tags=["models"], summary="One model: card, metrics and training summary",
                operation_id="get_model",
                responses={404: UNKNOWN_MODEL, 422: problem("Malformed name"), 503: BROKEN_MODEL})
    async def get_model(name: ModelName) -> dict:
        return await anyio.to_thread.run_sync(models.details, name)

    @router.post("/v1/generate", tags=["generate"], summary="Generate digits", operation_id="generate",
                 responses=GENERATE_RESPONSES)
    async def generate(req: GenerateRequest) -> Response:
        return await anyio.to_thread.run_sync(generate_response, models, req, limiter=limiter)

    @router.post("/v1/mix", tags=["generate"], summary="Style mixing (style-based models)", operation_id="mix",
                 responses=MIX_RESPONSES)
    async def mix(req: MixRequest) -> Response:
        """Row i takes its coarse styles (the digit's shape) from coarse_seeds[i], column j its fine styles
        (stroke, texture) from fine_seeds[j]. Only style-based models can mix (see GET /v1/models: arch
        stylegan), and only on the torch backend; any other is a 422 that says so."""
        return await anyio.to_thread.run_sync(mix_response, models, req, limiter=limiter)

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


def mix_response(models: ModelService, req: MixRequest) -> Response:
    sampler, mix = models.style_sampler(req.model), req.mix()
    headers = {"X-Model": sampler.name, "X-Conditional": str(sampler.conditional).lower()}
    if req.format == "png":
        picture = mixing.picture_png(mixing.mixing_picture(sampler, mix))
        return Response(picture, media_type="image/png", headers=headers)
    grid = mixing.mixing_grid(sampler, mix)
    if req.format == "npz":
        headers["Content-Disposition"] = f'attachment; filename="{sampler.name.replace("@", "-")}-mix.npz"'
        return Response(mixing.npz_bytes(grid, mix), media_type="application/octet-stream", headers=headers)
    body = {"model": sampler.name, "conditional": sampler.conditional, "shape": list(grid.shape),
            "coarse_seeds": req.coarse_seeds, "fine_seeds": req.fine_seeds, "images": grid.tolist()}
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
    api_routes = routes(models, anyio.CapacityLimiter(max(1, workers)))
    app.include_router(api_routes)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    # The API's own routes and FastAPI's (/docs, /openapi.json): app.routes holds the former as one opaque entry.
    served = [r for r in (*app.router.routes, *api_routes.routes) if isinstance(r, Route)]
    app.add_middleware(UndeclaredMethods, routes=served)
    add_error_handlers(app)
    app.openapi = lambda: exact_openapi(app)
    return app


def exact_openapi(app: FastAPI) -> dict:
    """FastAPI's OpenAPI document, with the request schema exactly as pydantic validates it.

    FastAPI passes the document through its own models, which hold bounds as floats: the seed's
    maximum, 2**63 - 1, would come out as 9.223372036854776e18, which is 2**63, a seed the API refuses.
    """
    if app.openapi_schema is None:
        document = FastAPI.openapi(app)  # built once and kept in app.openapi_schema, which this edits in place
        for request in REQUESTS.values():
            document["components"]["schemas"][request.__name__] = request.model_json_schema(
                ref_template="#/components/schemas/{model}")
    return app.openapi_schema

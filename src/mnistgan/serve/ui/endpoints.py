"""The page's named endpoints, for scripts: "Use via API" on the page, or `gradio_client.Client(url)`.

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")
    grid_png, digits_npz, caption = client.predict(model="cdcgan", digit=7, count=16, seed=0, api_name="/generate")

Each endpoint is a typed function registered with `gr.api`: its type hints are the types `view_api()`
shows, its docstring the description, and it checks what a client sends (JSON: anything may come), so
a bad value is a gr.Error with a one-line message, the library's wherever the library checks it (the
page shows the same ones). The page's own events stay private.

To add one: write its function here (the drawing itself lives beside its tab, shared with the page)
and list it in PUBLIC_ENDPOINTS.

No `from __future__ import annotations` here: Gradio reads the return annotation as an object, and a
string would make a tuple of outputs a single output.
"""

from collections.abc import Callable
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData

from mnistgan.outputs import png_bytes
from mnistgan.registry import DEFAULT_MODEL
from mnistgan.sampling import COARSE_LAYERS, MAX_SEED
from mnistgan.serve.mixing import DEFAULT_COARSE_SEEDS, DEFAULT_FINE_SEEDS, MAX_CROSSOVER, MAX_MIX_SEEDS, Mix
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import MAX_GRID, library_errors, refusal
from mnistgan.serve.ui.downloads import Downloads
from mnistgan.serve.ui.generate import draw
from mnistgan.serve.ui.interpolate import STRIP_SCALE, walk
from mnistgan.serve.ui.mix import draw_mix

MAX_STEPS = 32  # as the tab's slider: frames in one strip
MIME_TYPES = {".png": "image/png", ".gif": "image/gif", ".npz": "application/octet-stream"}


# ----------------------------------------------------------------- what a client sends


def whole_number(name: str, value, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():  # JSON clients may send 7.0 for 7
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refusal(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def optional_digit(name: str, value) -> int | None:
    return None if value is None else whole_number(name, value, 0, 9)


def seed_list(name: str, value) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_MIX_SEEDS:
        raise refusal(f"{name} must be a list of 1 to {MAX_MIX_SEEDS} seeds, got {value!r}")
    return tuple(whole_number(f"each of {name}", s, 0, MAX_SEED) for s in value)


def number(name: str, value) -> float:
    """Its type only: the library checks the range, with its own message."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise refusal(f"{name} must be a number, got {value!r}")
    return float(value)


def model_name(value) -> str:
    """Its type only: the registry checks the name, with its own message."""
    if not isinstance(value, str):
        raise refusal(f"model must be a registry name such as {DEFAULT_MODEL!r}, got {value!r}")
    return value


def as_file(path: str) -> dict:
    """A file for Gradio to serve; gradio_client downloads it and hands back a local path."""
    return FileData(path=path, orig_name=Path(path).name, mime_type=MIME_TYPES[Path(path).suffix]).model_dump()


# ----------------------------------------------------------------- the endpoints


def generate_endpoint(models: ModelService, downloads: Downloads) -> Callable:
    def generate(model: str = DEFAULT_MODEL, digit: int | None = None, count: int = 16, seed: int = 0,
                 truncation: float | None = None, temperature: float = 1.0) -> tuple[FileData, FileData, str]:
        """Draw digits from one model.
        Returns the grid (PNG), the digits (NPZ: images uint8 [N,28,28], labels int64 [N]) and a caption.

        Args:
            model: a registry name: NAME (its newest version) or NAME@VERSION
            digit: 0-9 (conditional models only); None cycles 0-9, or lets an unconditional model choose
            count: how many digits, 1-64
            seed: same seed, same digits; 0 to 2**63-1
            truncation: redraw noise beyond this size (0 < t <= 100): cleaner, more alike digits; None for none
            temperature: scale of the noise, 0-10: low is tidy, high is wild
        """
        cut = None if truncation is None else number("truncation", truncation)
        request = (model_name(model), optional_digit("digit", digit), whole_number("count", count, 1, MAX_GRID),
                   whole_number("seed", seed, 0, MAX_SEED), cut, number("temperature", temperature))
        with library_errors():
            drawing = draw(models, downloads, *request)
        return as_file(drawing.png), as_file(drawing.npz), drawing.caption

    return generate


def interpolate_endpoint(models: ModelService, downloads: Downloads) -> Callable:
    def interpolate(model: str = DEFAULT_MODEL, from_digit: int | None = None, to_digit: int | None = None,
                    from_seed: int = 0, to_seed: int = 1, steps: int = 10,
                    slerp: bool = False) -> tuple[FileData, FileData]:
        """Walk from one digit and seed to another.
        Returns the frames side by side (PNG) and an animation there and back (GIF).

        Args:
            model: a registry name: NAME (its newest version) or NAME@VERSION
            from_digit: 0-9 (conditional models only); None for 0
            to_digit: 0-9 (conditional models only); None for from_digit
            from_seed: the noise at the start; 0 to 2**63-1
            to_seed: the noise at the end
            steps: frames, 2-32
            slerp: walk along the sphere (keeps the noise at a typical size) instead of a straight line
        """
        if not isinstance(slerp, bool):
            raise refusal(f"slerp must be true or false, got {slerp!r}")
        seeds = (whole_number("from_seed", from_seed, 0, MAX_SEED), whole_number("to_seed", to_seed, 0, MAX_SEED))
        request = (model_name(model), optional_digit("from_digit", from_digit), optional_digit("to_digit", to_digit),
                   seeds, whole_number("steps", steps, 2, MAX_STEPS), slerp)
        with library_errors():
            w = walk(models, downloads, *request)
            strip = downloads.write(f"{w.name}-interpolation", ".png", png_bytes(w.frames, len(w.frames), STRIP_SCALE))
        return as_file(strip), as_file(w.gif)

    return interpolate


def mix_endpoint(models: ModelService, downloads: Downloads) -> Callable:
    def mix(model: str, coarse_seeds: list[int] = list(DEFAULT_COARSE_SEEDS),
            fine_seeds: list[int] = list(DEFAULT_FINE_SEEDS), digit: int | None = None, fine_digit: int | None = None,
            crossover: int = COARSE_LAYERS, psi: float = 1.0) -> tuple[FileData, FileData]:
        """Style mixing (style-based models only, such as preset stylegan): each row keeps the coarse styles
        (the digit's shape) of its seed, each column lends the fine styles (stroke, texture) of its seed.
        Returns the labelled picture (PNG) and the grid (NPZ: images uint8 [rows,cols,28,28], coarse_seeds
        and fine_seeds int64).

        Args:
            model: a registry name of a style-based model: NAME (its newest version) or NAME@VERSION
            coarse_seeds: a row each, 1-32 seeds of 0 to 2**63-1
            fine_seeds: a column each, 1-32 seeds
            digit: the rows' digit, 0-9 (conditional models only); None for 0
            fine_digit: the columns' digit, 0-9 (conditional models only); None for the rows'
            crossover: the first style layer taken from the column, 1-5
            psi: truncation in w, 0-2: 1 for none, lower pulls styles toward the digit's average
        """
        chosen = Mix(seed_list("coarse_seeds", coarse_seeds), seed_list("fine_seeds", fine_seeds),
                     optional_digit("digit", digit), optional_digit("fine_digit", fine_digit),
                     whole_number("crossover", crossover, 1, MAX_CROSSOVER), number("psi", psi))
        with library_errors():
            drawing = draw_mix(models, downloads, model_name(model), chosen)
        return as_file(drawing.png), as_file(drawing.npz)

    return mix


# Endpoint name (a client's api_name, less the slash) -> what makes its function.
PUBLIC_ENDPOINTS: dict[str, Callable[[ModelService, Downloads], Callable]] = {
    "generate": generate_endpoint,
    "interpolate": interpolate_endpoint,
    "mix": mix_endpoint,
}


def add_public_endpoints(models: ModelService, downloads: Downloads) -> None:
    """Register every public endpoint; call inside the page's Blocks, before any other event.

    Gradio names every event, private ones too (after its function: the tabs have a `generate`), and
    makes a taken name unique with a suffix, which would silently move a client's api_name.
    """
    for name, make in PUBLIC_ENDPOINTS.items():
        registered = gr.api(make(models, downloads), api_name=name)
        if registered["api_name"] != name:
            raise RuntimeError(f"an event registered earlier took the endpoint name {name!r}: "
                               "add the public endpoints first")

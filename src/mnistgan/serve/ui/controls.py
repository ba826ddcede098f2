"""What the tabs share: the model picker, seed and digit inputs, and errors shown in the page."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import gradio as gr

from mnistgan import registry
from mnistgan.errors import MnistganError
from mnistgan.serve.service import ModelService

DIGITS = ["any"] + [str(d) for d in range(10)]
MAX_UI_SEED = 2**31 - 1  # what a browser's number input holds exactly
MAX_GRID = 64  # digits in one picture: the "How many" sliders' end and the /generate endpoint's limit
PRIVATE = {"api_visibility": "private"}  # the page's own events; scripts use the REST API

Choices = list[tuple[str, str]]  # (label, model id) for a dropdown


def model_choices(models: ModelService) -> Choices:
    out = []
    for m in models.listing():
        kind = "broken" if "error" in m else ("conditional" if m["conditional"] else "any digit")
        out.append((f"{m['id']} · {m.get('preset') or '?'} · {kind}", m["id"]))
    return out


def default_model(choices: Choices, avoid: str | None = None) -> str | None:
    """The newest version of the default model (else of the first model); with `avoid`, a different one, same name first."""
    ids = [v for _, v in choices if v != avoid]
    if not ids:
        return None
    names = [i.partition("@")[0] for i in ids]
    name = (avoid or "").partition("@")[0]
    if name not in names:
        name = registry.DEFAULT_MODEL if registry.DEFAULT_MODEL in names else names[0]
    return [i for i, n in zip(ids, names) if n == name][-1]


def model_picker(choices: Choices, value: str | None, elem_id: str, label: str = "Model") -> gr.Dropdown:
    return gr.Dropdown(choices=choices, value=value, label=label, elem_id=elem_id,
                       info="NAME@VERSION · preset · what it draws")


def seed_input(value: int = 0, label: str = "Seed", **kwargs) -> gr.Number:
    return gr.Number(value, precision=0, minimum=0, maximum=MAX_UI_SEED, label=label, **kwargs)


def random_seed() -> int:
    return random.randrange(MAX_UI_SEED)


@dataclass
class Results:
    """A tab's picture, its caption and its PNG and NPZ downloads."""

    image: gr.Image
    caption: gr.Markdown
    png: gr.DownloadButton
    npz: gr.DownloadButton


def results_panel(prefix: str, label: str, npz_label: str) -> Results:
    """The picture (elem_id PREFIX-image), the caption under it (PREFIX-caption) and the two download buttons
    (PREFIX-png, PREFIX-npz)."""
    image = gr.Image(label=label, type="pil", format="png", interactive=False, elem_id=f"{prefix}-image",
                     elem_classes="digits", height=460)
    caption = gr.Markdown(elem_id=f"{prefix}-caption")
    with gr.Row():
        png = gr.DownloadButton("Download PNG", elem_id=f"{prefix}-png", size="sm")
        npz = gr.DownloadButton(npz_label, elem_id=f"{prefix}-npz", size="sm")
    return Results(image, caption, png, npz)


def refusal(message: str) -> gr.Error:
    """A gr.Error for a value the user (or an API client) got wrong: shown, but not a server fault, so no
    traceback in the server's log."""
    return gr.Error(message, print_exception=False)


def chosen_digit(value: str | None) -> int | None:
    return None if value in (None, "", "any") else int(value)


def checked_seed(value) -> int:
    if value is None or not float(value).is_integer() or not 0 <= value <= MAX_UI_SEED:
        raise refusal(f"The seed must be a whole number from 0 to {MAX_UI_SEED}.")
    return int(value)


@contextmanager
def library_errors() -> Iterator[None]:
    """The library's one-line message as a gr.Error, which Gradio shows (and sends to API clients) as it is,
    instead of a generic 'Error'."""
    try:
        yield
    except MnistganError as e:
        raise refusal(str(e)) from None


def shows_errors(fn):
    """Show the library's one-line messages in the page.

    The first argument of `fn` is the picked model: none picked gets a hint instead of a call.
    """
    @functools.wraps(fn)
    def wrapped(*args):
        if args and args[0] in (None, ""):
            raise refusal("Pick a model first (none installed? see the note at the top).")
        with library_errors():
            return fn(*args)
    return wrapped

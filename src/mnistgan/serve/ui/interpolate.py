"""The Interpolate tab: a walk from one digit and seed to another, as a strip of frames and a looping GIF."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
from PIL import Image

from mnistgan.grids import gif_bytes, grid_image
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import DIGITS, PRIVATE, Choices, checked_seed, model_picker, seed_input, shows_errors
from mnistgan.serve.ui.downloads import Downloads

GIF_SCALE = 6  # 168 px a frame: fits the animation box without blurring
STRIP_SCALE = 2


@dataclass
class Walk:
    name: str  # the model's NAME@VERSION
    frames: np.ndarray  # uint8 (steps, 28, 28)
    strip: Image.Image  # the frames side by side, for the page
    gif: str  # the animation's file, there and back


def walk(models: ModelService, downloads: Downloads, model_id: str, from_digit: int | None, to_digit: int | None,
         seeds: tuple[int, int], steps: int, slerp: bool) -> Walk:
    """What the tab and the /interpolate endpoint both draw; the library checks every value (MnistganError)."""
    s = models.sampler(model_id)
    frames = s.interpolate(steps, from_digit, to_digit, seeds, slerp=slerp)
    gif = downloads.write(f"{s.name}-interpolation", ".gif", gif_bytes(frames, GIF_SCALE, there_and_back=True))
    return Walk(s.name, frames, grid_image(frames, nrow=len(frames), scale=STRIP_SCALE), gif)


def interpolate_tab(models: ModelService, downloads: Downloads, choices: Choices, first: str | None) -> gr.Dropdown:
    """Lay out and wire the tab; returns its model picker, whose choices the page refreshes on load."""

    @shows_errors
    def interpolate(model_id, from_digit, to_digit, seed_a, seed_b, steps, slerp):
        # The digit pickers stay on the page for every model; an unconditional one ignores them.
        a, b = (int(from_digit), int(to_digit)) if models.is_conditional(model_id) else (None, None)
        w = walk(models, downloads, model_id, a, b, (checked_seed(seed_a), checked_seed(seed_b)), int(steps),
                 bool(slerp))
        return w.strip, w.gif, w.gif

    with gr.Tab("Interpolate", id="interpolate", elem_id="tab-interpolate"):
        gr.Markdown("Walk smoothly from one digit (and seed) to another: every frame is a real output of the model.")
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                model = model_picker(choices, first, "int-model")
                with gr.Row():
                    from_digit = gr.Dropdown(DIGITS[1:], value="1", label="From digit", elem_id="int-from")
                    to_digit = gr.Dropdown(DIGITS[1:], value="7", label="To digit", elem_id="int-to")
                with gr.Row():
                    seed_a = seed_input(0, label="From seed")
                    seed_b = seed_input(1, label="To seed")
                steps = gr.Slider(2, 32, value=10, step=1, label="Steps", elem_id="int-steps")
                slerp = gr.Checkbox(False, label="Spherical path (slerp)",
                                    info="Keeps the noise at a typical size along the way.")
                go = gr.Button("Interpolate", variant="primary", elem_id="int-button")
            with gr.Column(scale=3):
                strip = gr.Image(label="Frames, left to right", type="pil", format="png", interactive=False,
                                 elem_id="int-strip", elem_classes="digits")
                animation = gr.Image(label="Animation", type="filepath", interactive=False, elem_id="int-gif",
                                     elem_classes="digits", height=220)
                download = gr.DownloadButton("Download GIF", elem_id="int-download", size="sm")
    go.click(interpolate, [model, from_digit, to_digit, seed_a, seed_b, steps, slerp], [strip, animation, download],
             **PRIVATE)
    return model

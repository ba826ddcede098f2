"""The Generate tab: a grid of digits from one model, with PNG and NPZ downloads."""

from __future__ import annotations

import gradio as gr

from mnistgan.grids import grid_columns, grid_image
from mnistgan.outputs import npz_bytes, png_bytes
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import (DIGITS, PRIVATE, Choices, checked_seed, chosen_digit, model_picker,
                                        random_seed, seed_input, shows_errors)
from mnistgan.serve.ui.downloads import Downloads

CONDITIONAL_HINT = "Which digit to draw; 'any' cycles 0 to 9."
UNCONDITIONAL_HINT = "This model is unconditional: it picks the digits itself."


def caption(name: str, conditional: bool, digit: int | None, count: int, seed: int) -> str:
    what = f"digit {digit}" if digit is not None else ("digits 0-9 in turn" if conditional else "any digit")
    return f"{count} × {what} from **{name}**, seed {seed}."


def generate_tab(models: ModelService, downloads: Downloads, choices: Choices, first: str | None) -> gr.Dropdown:
    """Lay out and wire the tab; returns its model picker, whose choices the page refreshes on load."""

    def digit_picker(model_id):
        if not model_id:
            return gr.update()
        if models.is_conditional(model_id):
            return gr.update(interactive=True, info=CONDITIONAL_HINT)
        return gr.update(value="any", interactive=False, info=UNCONDITIONAL_HINT)

    @shows_errors
    def generate(model_id, digit, count, seed, truncation, temperature):
        s = models.sampler(model_id)
        digits, seed = chosen_digit(digit), checked_seed(seed)
        images, labels = s.sample(int(count), digits, seed, truncation or None, float(temperature))
        columns = grid_columns(s.conditional, digits, len(images))
        stem = f"{s.name}-seed{seed}"
        return (grid_image(images, columns, scale=4), downloads.write(stem, ".png", png_bytes(images, columns)),
                downloads.write(stem, ".npz", npz_bytes(images, labels)),
                caption(s.name, s.conditional, digits, len(images), seed))

    with gr.Tab("Generate", id="generate", elem_id="tab-generate"):
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                model = model_picker(choices, first, "gen-model")
                digit = gr.Radio(DIGITS, value="any", label="Digit", elem_id="gen-digit", info=CONDITIONAL_HINT)
                count = gr.Slider(1, 64, value=16, step=1, label="How many", elem_id="gen-count")
                with gr.Row():
                    seed = seed_input(elem_id="gen-seed", scale=3)
                    shuffle = gr.Button("Shuffle seed", elem_id="gen-shuffle", scale=1, size="sm")
                with gr.Accordion("Noise settings", open=False):
                    truncation = gr.Slider(0, 3, value=0, step=0.1, label="Truncation (0 = off)",
                                           info="Redraw noise values beyond this size: cleaner but more alike digits.")
                    temperature = gr.Slider(0, 2, value=1, step=0.05, label="Temperature",
                                            info="Scale of the noise: low is tidy and uniform, high is wild.")
                go = gr.Button("Generate", variant="primary", elem_id="gen-button")
            with gr.Column(scale=3):
                image = gr.Image(label="Generated digits", type="pil", format="png", interactive=False,
                                 elem_id="gen-image", elem_classes="digits", height=460)
                shown = gr.Markdown(elem_id="gen-caption")
                with gr.Row():
                    png = gr.DownloadButton("Download PNG", elem_id="gen-png", size="sm")
                    npz = gr.DownloadButton("Download NPZ (uint8 images + labels)", elem_id="gen-npz", size="sm")
    model.change(digit_picker, model, digit, **PRIVATE)
    shuffle.click(random_seed, None, seed, **PRIVATE)
    go.click(generate, [model, digit, count, seed, truncation, temperature], [image, png, npz, shown], **PRIVATE)
    return model

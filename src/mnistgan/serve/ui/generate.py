"""The Generate tab: a grid of digits from one model, with noise presets and PNG and NPZ downloads."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
from PIL import Image

from mnistgan.errors import MnistganError
from mnistgan.grids import grid_columns, grid_image
from mnistgan.outputs import npz_bytes, png_bytes
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import (DIGITS, MAX_GRID, PRIVATE, Choices, Results, checked_seed, chosen_digit,
                                        model_picker, random_seed, results_panel, seed_input, shows_errors)
from mnistgan.serve.ui.downloads import Downloads
from mnistgan.serve.ui.noise import (NOISE_PRESETS, NoisePreset, NoiseSliders, noise_sliders, settings_text,
                                     truncation_or_none)

CONDITIONAL_HINT = "Which digit to draw; 'any' cycles 0 to 9."
UNCONDITIONAL_HINT = "This model is unconditional: it picks the digits itself."


@dataclass
class Drawing:
    picture: Image.Image  # the grid, upscaled for the page
    png: str  # the files offered for download
    npz: str
    caption: str


def caption(name: str, conditional: bool, digit: int | None, count: int, seed: int, truncation: float | None,
            temperature: float) -> str:
    what = f"digit {digit}" if digit is not None else ("digits 0-9 in turn" if conditional else "any digit")
    return f"{count} × {what} from {name}, seed {seed}, {settings_text(truncation, temperature)}."


def draw(models: ModelService, downloads: Downloads, model_id: str, digit: int | None, count: int, seed: int,
         truncation: float | None, temperature: float) -> Drawing:
    """What the tab and the /generate endpoint both draw; the library checks every value (MnistganError)."""
    s = models.sampler(model_id)
    if digit is not None and not s.conditional:
        raise MnistganError(f"{s.name} is unconditional: it draws whichever digit it likes, so it takes no digit")
    images, labels = s.sample(count, digit, seed, truncation, temperature)
    columns = grid_columns(s.conditional, digit, len(images))
    stem = f"{s.name}-seed{seed}"
    return Drawing(grid_image(images, columns, scale=4), downloads.write(stem, ".png", png_bytes(images, columns)),
                   downloads.write(stem, ".npz", npz_bytes(images, labels)),
                   caption(s.name, s.conditional, digit, len(images), seed, truncation, temperature))


@dataclass
class GenerateForm:
    model: gr.Dropdown
    digit: gr.Radio
    count: gr.Slider
    seed: gr.Number
    shuffle: gr.Button
    presets: list[tuple[NoisePreset, gr.Button]]
    preset_note: gr.Markdown
    noise_box: gr.Accordion
    noise: NoiseSliders
    go: gr.Button
    results: Results

    @property
    def inputs(self) -> list:
        return [self.model, self.digit, self.count, self.seed, self.noise.truncation, self.noise.temperature]

    @property
    def outputs(self) -> list:
        return [self.results.image, self.results.png, self.results.npz, self.results.caption]


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
        d = draw(models, downloads, model_id, chosen_digit(digit), int(count), checked_seed(seed),
                 truncation_or_none(truncation), float(temperature))
        return d.picture, d.png, d.npz, d.caption

    with gr.Tab("Generate", id="generate", elem_id="tab-generate"):
        form = generate_form(choices, first)
    form.model.change(digit_picker, form.model, form.digit, **PRIVATE)
    form.shuffle.click(random_seed, None, form.seed, **PRIVATE)
    form.go.click(generate, form.inputs, form.outputs, **PRIVATE)
    for preset, button in form.presets:
        # Set the knobs where the user can see them, then draw with them.
        button.click(_applier(preset), None, [form.seed, form.noise.truncation, form.noise.temperature,
                                              form.noise_box, form.preset_note], **PRIVATE).then(
            generate, form.inputs, form.outputs, **PRIVATE)
    return form.model


def _applier(preset: NoisePreset):
    def apply():
        return preset.seed, preset.truncation, preset.temperature, gr.update(open=True), preset.summary()
    return apply


def generate_form(choices: Choices, first: str | None) -> GenerateForm:
    with gr.Row():
        with gr.Column(scale=2, min_width=320):
            model = model_picker(choices, first, "gen-model")
            digit = gr.Radio(DIGITS, value="any", label="Digit", elem_id="gen-digit", info=CONDITIONAL_HINT)
            count = gr.Slider(1, MAX_GRID, value=16, step=1, label="How many", elem_id="gen-count")
            with gr.Row():
                seed = seed_input(elem_id="gen-seed", scale=3)
                shuffle = gr.Button("Shuffle seed", elem_id="gen-shuffle", scale=1, size="sm")
            gr.Markdown("**Presets** set the seed, temperature and truncation, and draw:")
            with gr.Row(elem_id="gen-presets"):
                presets = [(p, gr.Button(p.name.capitalize(), size="sm", elem_id=f"preset-{p.name.replace(' ', '-')}"))
                           for p in NOISE_PRESETS]
            preset_note = gr.Markdown(elem_id="gen-preset-note")
            with gr.Accordion("Noise settings", open=False, elem_id="gen-noise") as noise_box:
                noise = noise_sliders("gen")
            go = gr.Button("Generate", variant="primary", elem_id="gen-button")
        with gr.Column(scale=3):
            results = results_panel("gen", "Generated digits", "Download NPZ (uint8 images + labels)")
    return GenerateForm(model, digit, count, seed, shuffle, presets, preset_note, noise_box, noise, go, results)

"""The Style mixing tab: StyleGAN's mixing figure, the shape of each row's digit drawn with the stroke and
texture of each column's. Only style-based models can mix; for any other the tab says so and does not draw."""

from __future__ import annotations

import re
from dataclasses import dataclass

import gradio as gr
from PIL import Image

from mnistgan.sampling import MAX_SEED
from mnistgan.serve import mixing
from mnistgan.serve.mixing import MAX_CROSSOVER, MAX_MIX_SEEDS, MAX_PSI, Mix
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import (DIGITS, PRIVATE, Choices, Results, default_model, model_picker, refusal,
                                        results_panel, shows_errors)
from mnistgan.serve.ui.downloads import Downloads

SAME_DIGIT = "same as the rows"
STYLE_MODEL_HINT = ("Pick a style-based model, or train one and register it: `mnistgan train --preset stylegan "
                    "--out runs/style`, then `mnistgan models add runs/style --name stylegan`.")


@dataclass
class MixDrawing:
    picture: Image.Image  # the labelled figure, for the page
    png: str  # the files offered for download
    npz: str
    caption: str


def draw_mix(models: ModelService, downloads: Downloads, model_id: str, mix: Mix) -> MixDrawing:
    """What the tab and the /mix endpoint both draw; a model that cannot mix, or a bad value, is a MnistganError."""
    s = models.style_sampler(model_id)
    picture = mixing.mixing_picture(s, mix)
    stem = f"{s.name}-mix"
    return MixDrawing(picture, downloads.write(stem, ".png", mixing.picture_png(picture)),
                      downloads.write(stem, ".npz", mixing.npz_bytes(mixing.mixing_grid(s, mix), mix)),
                      mix.caption(s.name, s.conditional))


def parse_seeds(text: str | None, what: str) -> tuple[int, ...]:
    """'0, 1, 2' (commas or spaces) as seeds; anything else is refused with a message naming the box."""
    words = [w for w in re.split(r"[\s,]+", text or "") if w]
    if not 1 <= len(words) <= MAX_MIX_SEEDS or not all(w.isascii() and w.isdigit() for w in words):
        raise refusal(f"{what}: give 1 to {MAX_MIX_SEEDS} whole numbers separated by commas, such as 0, 1, 2 "
                      f"(got {text!r}).")
    seeds = tuple(int(w) for w in words)
    if max(seeds) > MAX_SEED:
        raise refusal(f"{what}: a seed is at most {MAX_SEED}.")
    return seeds


def style_model(models: ModelService, choices: Choices, fallback: str | None) -> str | None:
    """The newest style-based model (by its config's arch; drawing checks the model itself), else `fallback`."""
    styled = {m["id"] for m in models.listing() if m.get("arch") == "stylegan"}
    return default_model([c for c in choices if c[1] in styled]) or fallback


@dataclass(frozen=True)
class Availability:
    note: str  # what the tab says about the picked model
    can_mix: bool  # the draw button's state
    digits: bool  # the digit pickers' state: a conditional model that can mix


def availability(models: ModelService, model_id: str | None) -> Availability:
    if not model_id:
        return Availability("", False, False)
    reason = models.why_not_mix(model_id)
    if reason is not None:
        hint = f" {STYLE_MODEL_HINT}" if models.backend == "torch" else ""
        return Availability(f"**This model cannot mix styles:** {reason}.{hint}", False, False)
    return Availability(f"{model_id} can mix styles.", True, models.is_conditional(model_id))


def mix_tab(models: ModelService, downloads: Downloads, choices: Choices, first: str | None) -> gr.Dropdown:
    """Lay out and wire the tab; returns its model picker, whose choices the page refreshes on load."""

    def picked(model_id):
        """The note, and the draw button and digit pickers enabled only where they apply."""
        state = availability(models, model_id)
        digits = gr.update(interactive=state.digits)
        return state.note, gr.update(interactive=state.can_mix), digits, digits

    @shows_errors
    def draw(model_id, coarse, fine, digit, fine_digit, crossover, psi):
        conditional = models.is_conditional(model_id)  # an unconditional model ignores the digit pickers
        mix = Mix(parse_seeds(coarse, "Row seeds"), parse_seeds(fine, "Column seeds"),
                  int(digit) if conditional else None,
                  int(fine_digit) if conditional and fine_digit != SAME_DIGIT else None, int(crossover), float(psi))
        d = draw_mix(models, downloads, model_id, mix)
        return d.picture, d.caption, d.png, d.npz

    first = style_model(models, choices, first)
    with gr.Tab("Style mixing", id="mix", elem_id="tab-mix"):
        form = mix_form(choices, first, availability(models, first))
    form.model.change(picked, form.model, [form.note, form.go, form.digit, form.fine_digit], **PRIVATE)
    results = form.results
    form.go.click(draw, form.inputs, [results.image, results.caption, results.png, results.npz], **PRIVATE)
    return form.model


@dataclass
class MixForm:
    model: gr.Dropdown
    note: gr.Markdown
    coarse: gr.Textbox
    fine: gr.Textbox
    digit: gr.Dropdown
    fine_digit: gr.Dropdown
    crossover: gr.Slider
    psi: gr.Slider
    go: gr.Button
    results: Results

    @property
    def inputs(self) -> list:
        return [self.model, self.coarse, self.fine, self.digit, self.fine_digit, self.crossover, self.psi]


def mix_form(choices: Choices, first: str | None, state: Availability) -> MixForm:
    gr.Markdown("A style-based model (preset *stylegan*) draws each digit from one style per layer. Here each "
                "row keeps the **coarse** styles of its seed (the digit's shape) and each column lends the "
                "**fine** styles of its seed (stroke, texture).")
    with gr.Row():
        with gr.Column(scale=2, min_width=320):
            model = model_picker(choices, first, "mix-model")
            note = gr.Markdown(state.note, elem_id="mix-note")
            coarse = gr.Textbox(", ".join(map(str, mixing.DEFAULT_COARSE_SEEDS)), label="Row seeds (coarse styles)",
                                elem_id="mix-coarse", info=f"1 to {MAX_MIX_SEEDS}, separated by commas")
            fine = gr.Textbox(", ".join(map(str, mixing.DEFAULT_FINE_SEEDS)), label="Column seeds (fine styles)",
                              elem_id="mix-fine", info=f"1 to {MAX_MIX_SEEDS}, separated by commas")
            with gr.Row():
                digit = gr.Dropdown(DIGITS[1:], value="7", label="Rows' digit", elem_id="mix-digit",
                                    interactive=state.digits)
                fine_digit = gr.Dropdown([SAME_DIGIT, *DIGITS[1:]], value=SAME_DIGIT, label="Columns' digit",
                                         elem_id="mix-fine-digit", interactive=state.digits)
            crossover = gr.Slider(1, MAX_CROSSOVER, value=mixing.COARSE_LAYERS, step=1, label="Crossover layer",
                                  elem_id="mix-crossover", info="Layers before it come from the row: lower gives "
                                                                "the column more of the digit.")
            psi = gr.Slider(0, MAX_PSI, value=1.0, step=0.05, label="Psi (truncation in w)", elem_id="mix-psi",
                            info="1 for none; below 1 pulls each style toward its digit's average.")
            go = gr.Button("Mix styles", variant="primary", elem_id="mix-button", interactive=state.can_mix)
        with gr.Column(scale=3):
            results = results_panel("mix", "Style mixing", "Download NPZ (uint8 grid + seeds)")
    return MixForm(model, note, coarse, fine, digit, fine_digit, crossover, psi, go, results)

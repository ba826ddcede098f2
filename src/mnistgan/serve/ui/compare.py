"""The Compare (A/B) tab: the same digits from the same seeds, side by side, in one of two modes.

Two models (or two versions of one), with an A/B vote under them; or one model under two noise
settings (temperature, truncation), to see what the knobs do. Votes are for models, so the second
mode has none.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from mnistgan.grids import grid_columns, grid_image
from mnistgan.sampling import Sampler
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import (DIGITS, MAX_GRID, PRIVATE, Choices, checked_seed, chosen_digit,
                                        model_picker, random_seed, refusal, seed_input, shows_errors)
from mnistgan.serve.ui.noise import PRESETS_BY_NAME, NoiseSliders, noise_sliders, settings_text, truncation_or_none
from mnistgan.serve.ui.vote import VotePanel, vote_panel
from mnistgan.votes import VoteStore

TWO_MODELS, TWO_SETTINGS = "Two models", "Two settings of one model"
MODES = [TWO_MODELS, TWO_SETTINGS]
SETTINGS_DEFAULTS = (PRESETS_BY_NAME["crisp"], PRESETS_BY_NAME["diverse"])  # a difference to see at once


@dataclass
class CompareTab:
    """What the page refreshes on load: both model pickers and the score table."""

    left_model: gr.Dropdown
    right_model: gr.Dropdown
    votes: VotePanel


@dataclass
class CompareForm:
    mode: gr.Radio
    left_model: gr.Dropdown
    right_model: gr.Dropdown
    settings: gr.Row  # the two sides' noise sliders, shown in the settings mode only
    left_noise: NoiseSliders
    right_noise: NoiseSliders
    digit: gr.Radio
    count: gr.Slider
    seed: gr.Number
    shuffle: gr.Button
    go: gr.Button
    left: gr.Image
    right: gr.Image

    @property
    def inputs(self) -> list:
        return [self.left_model, self.mode, self.right_model, self.digit, self.count, self.seed,
                self.left_noise.truncation, self.left_noise.temperature,
                self.right_noise.truncation, self.right_noise.temperature]


def picture(s: Sampler, count: int, digit: int | None, seed: int, truncation: float | None = None,
            temperature: float = 1.0):
    images, _ = s.sample(count, digit, seed, truncation, temperature)
    return grid_image(images, grid_columns(s.conditional, digit, len(images)), scale=3)


def compare_tab(models: ModelService, votes: VoteStore, choices: Choices, first: str | None,
                second: str | None) -> CompareTab:
    def digit_picker(a, mode, b):
        if not a or (mode == TWO_MODELS and not b):
            return gr.update()
        both = models.is_conditional(a) and (mode == TWO_SETTINGS or models.is_conditional(b))
        return gr.update(interactive=True) if both else gr.update(value="any", interactive=False)

    @shows_errors
    def compare(a, mode, b, digit, count, seed, left_cut, left_temp, right_cut, right_temp):
        digit, seed, count = chosen_digit(digit), checked_seed(seed), int(count)
        if mode == TWO_SETTINGS:
            sides = ((truncation_or_none(left_cut), float(left_temp)),
                     (truncation_or_none(right_cut), float(right_temp)))
            return two_settings(models.sampler(a), count, digit, seed, sides)
        if not b:
            raise refusal("Pick a second model to compare with.")
        if a == b:
            raise refusal("Pick two different models (or two versions of one model).")
        return two_models(models.sampler(a), models.sampler(b), count, digit, seed)

    with gr.Tab("Compare (A/B)", id="compare", elem_id="tab-compare"):
        gr.Markdown("The same digits from the same seeds, side by side: two models, with a vote for the better "
                    "side (saved; the table keeps the score), or one model under two noise settings.")
        form = compare_form(choices, first, second)
        on_screen = gr.State(None)
        panel = vote_panel(votes, on_screen)
    for control in (form.left_model, form.mode, form.right_model):
        control.change(digit_picker, [form.left_model, form.mode, form.right_model], form.digit, **PRIVATE)
    form.mode.change(show_mode, form.mode, [form.left_model, form.right_model, form.settings, panel.left, panel.right,
                                            panel.table, on_screen, panel.status], **PRIVATE)
    form.shuffle.click(random_seed, None, form.seed, **PRIVATE)
    form.go.click(compare, form.inputs, [form.left, form.right, on_screen, panel.status, panel.left, panel.right],
                  **PRIVATE)
    return CompareTab(form.left_model, form.right_model, panel)


def two_models(sa: Sampler, sb: Sampler, count: int, digit: int | None, seed: int):
    """The two pictures, what is on screen (for the vote), the question, and the vote buttons switched on."""
    on_screen = {"a": sa.name, "b": sb.name, "digit": digit, "seed": seed}
    status = f"Which side looks more like real handwriting? Left: **{sa.name}**, right: **{sb.name}**."
    on = gr.update(interactive=True)
    return (gr.update(value=picture(sa, count, digit, seed), label=f"Left: {sa.name}"),
            gr.update(value=picture(sb, count, digit, seed), label=f"Right: {sb.name}"), on_screen, status, on, on)


def two_settings(s: Sampler, count: int, digit: int | None, seed: int, sides):
    """As two_models, for one model under the two (truncation, temperature) `sides`; nothing to vote on."""
    labels = [f"{side}: {settings_text(*noise)}" for side, noise in zip(("Left", "Right"), sides)]
    grids = [gr.update(value=picture(s, count, digit, seed, *noise), label=label)
             for noise, label in zip(sides, labels)]
    status = f"**{s.name}**, the same seeds under two settings. {labels[0]}; {labels[1]}."
    off = gr.update(interactive=False)
    return grids[0], grids[1], None, status, off, off


def show_mode(mode):
    """Lay the tab out for `mode`; whatever was on screen is no longer up for a vote."""
    models = mode == TWO_MODELS
    return (gr.update(label="Left model" if models else "Model"), gr.update(visible=models),
            gr.update(visible=not models), gr.update(visible=models, interactive=False),
            gr.update(visible=models, interactive=False), gr.update(visible=models), None, "")


def compare_form(choices: Choices, first: str | None, second: str | None) -> CompareForm:
    mode = gr.Radio(MODES, value=TWO_MODELS, label="Compare", elem_id="cmp-mode")
    with gr.Row():
        a = model_picker(choices, first, "cmp-a", label="Left model")
        b = model_picker(choices, second, "cmp-b", label="Right model")
    with gr.Row(visible=False, elem_id="cmp-settings") as settings:
        with gr.Column():
            left_noise = noise_sliders("cmp-left", SETTINGS_DEFAULTS[0], label_prefix="Left: ")
        with gr.Column():
            right_noise = noise_sliders("cmp-right", SETTINGS_DEFAULTS[1], label_prefix="Right: ")
    with gr.Row():
        digit = gr.Radio(DIGITS, value="any", label="Digit", elem_id="cmp-digit", scale=3)
        count = gr.Slider(1, MAX_GRID, value=16, step=1, label="How many", scale=2)
        seed = seed_input(scale=1)
        shuffle = gr.Button("Shuffle seed", scale=1, size="sm")
    go = gr.Button("Generate both", variant="primary", elem_id="cmp-button")
    with gr.Row():
        left = gr.Image(label="Left", type="pil", format="png", interactive=False, elem_id="cmp-left",
                        elem_classes="digits", height=380)
        right = gr.Image(label="Right", type="pil", format="png", interactive=False, elem_id="cmp-right",
                         elem_classes="digits", height=380)
    return CompareForm(mode, a, b, settings, left_noise, right_noise, digit, count, seed, shuffle, go, left, right)

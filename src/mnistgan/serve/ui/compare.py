"""The Compare (A/B) tab: two models draw the same digits from the same seed, side by side, for a vote."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from mnistgan.grids import grid_columns, grid_image
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import (DIGITS, PRIVATE, Choices, checked_seed, chosen_digit, model_picker,
                                        random_seed, seed_input, shows_errors)
from mnistgan.serve.ui.vote import VotePanel, vote_panel
from mnistgan.votes import VoteStore


@dataclass
class CompareTab:
    """What the page refreshes on load: both model pickers and the score table."""

    left_model: gr.Dropdown
    right_model: gr.Dropdown
    votes: VotePanel


def compare_tab(models: ModelService, votes: VoteStore, choices: Choices, first: str | None,
                second: str | None) -> CompareTab:
    def digit_picker(a, b):
        if not a or not b:
            return gr.update()
        both = models.is_conditional(a) and models.is_conditional(b)
        return gr.update(interactive=True) if both else gr.update(value="any", interactive=False)

    @shows_errors
    def compare(a, b, digit, count, seed):
        if not b:
            raise gr.Error("Pick a second model to compare with.")
        if a == b:
            raise gr.Error("Pick two different models (or two versions of one model).")
        sa, sb = models.sampler(a), models.sampler(b)
        digits, seed = chosen_digit(digit), checked_seed(seed)
        grids = []
        for s in (sa, sb):
            images, _ = s.sample(int(count), digits, seed)
            grids.append(grid_image(images, grid_columns(s.conditional, digits, len(images)), scale=3))
        on_screen = {"a": sa.name, "b": sb.name, "digit": digits, "seed": seed}
        status = f"Which side looks more like real handwriting? Left: **{sa.name}**, right: **{sb.name}**."
        on = gr.update(interactive=True)
        return (gr.update(value=grids[0], label=f"Left: {sa.name}"), gr.update(value=grids[1], label=f"Right: {sb.name}"),
                on_screen, status, on, on)

    with gr.Tab("Compare (A/B)", id="compare", elem_id="tab-compare"):
        gr.Markdown("Two models draw the same digits from the same seeds. Vote for the better side; "
                    "votes are saved and the table below keeps the score.")
        with gr.Row():
            a = model_picker(choices, first, "cmp-a", label="Left model")
            b = model_picker(choices, second, "cmp-b", label="Right model")
        with gr.Row():
            digit = gr.Radio(DIGITS, value="any", label="Digit", elem_id="cmp-digit", scale=3)
            count = gr.Slider(1, 64, value=16, step=1, label="How many", scale=2)
            seed = seed_input(scale=1)
            shuffle = gr.Button("Shuffle seed", scale=1, size="sm")
        go = gr.Button("Generate both", variant="primary", elem_id="cmp-button")
        with gr.Row():
            left = gr.Image(label="Left", type="pil", format="png", interactive=False, elem_id="cmp-left",
                            elem_classes="digits", height=380)
            right = gr.Image(label="Right", type="pil", format="png", interactive=False, elem_id="cmp-right",
                             elem_classes="digits", height=380)
        on_screen = gr.State(None)
        panel = vote_panel(votes, on_screen)
    for picker in (a, b):
        picker.change(digit_picker, [a, b], digit, **PRIVATE)
    shuffle.click(random_seed, None, seed, **PRIVATE)
    go.click(compare, [a, b, digit, count, seed], [left, right, on_screen, panel.status, panel.left, panel.right],
             **PRIVATE)
    return CompareTab(a, b, panel)

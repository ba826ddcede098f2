"""The Model info tab: the model card, its quality metrics beside the real-data floor, and its training curves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from mnistgan.errors import MnistganError
from mnistgan.formatting import fmt
from mnistgan.model_folder import CURVES, read_info
from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.controls import PRIVATE, Choices, model_picker, refusal
from mnistgan.train.rundir import RunDir

METRIC_COLUMNS = ["Metric", "This model", "Real data (floor)"]


def training_curves(model_dir: Path) -> Path | None:
    """The model folder's own copy of its run's curves; else, for a run's model/ or best/, the run's."""
    for path in (model_dir / CURVES, RunDir(model_dir.parent).curves_path):
        if path.is_file():
            return path
    return None


def strip_front_matter(card: str) -> str:
    """The card without its YAML header (the Hub's metadata), which Markdown would show as text."""
    if card.startswith("---"):
        end = card.find("\n---", 3)
        if end != -1:
            return card[end + 4:].lstrip()
    return card


def metric_rows(info: dict) -> list[list[str]]:
    metrics = info.get("metrics") or {}
    floor = metrics.get("floor") or {}
    return [[k, fmt(v), fmt(floor.get(k))] for k, v in (metrics.get("model") or {}).items()]


def describe(models: ModelService, model_id: str | None):
    """(card, metrics table update, curves path, note) for the picked model."""
    if not model_id:
        return "", gr.update(visible=False), None, ""
    try:
        ref = models.find(model_id)
        info = read_info(ref.path)
    except MnistganError as e:
        raise refusal(str(e)) from None
    card_path = ref.path / "README.md"
    card = strip_front_matter(card_path.read_text()) if card_path.is_file() else f"# {ref.id}\n(no model card)"
    rows = metric_rows(info)
    curves = training_curves(ref.path)
    notes = [] if rows else ["No quality metrics have been recorded for this model yet."]
    notes += [] if curves else ["The training curves are not available (the run that trained it is not on this machine)."]
    return card, gr.update(value=rows, visible=bool(rows)), str(curves) if curves else None, " ".join(notes)


@dataclass
class ModelInfoTab:
    picker: gr.Dropdown
    outputs: list
    fill: Callable  # model id -> the outputs; the page also runs it once the pickers are refreshed on load


def model_info_tab(models: ModelService, choices: Choices, first: str | None) -> ModelInfoTab:
    with gr.Tab("Model info", id="info", elem_id="tab-info"):
        picker = model_picker(choices, first, "info-model")
        with gr.Row():
            with gr.Column(scale=1):
                card = gr.Markdown(elem_id="info-card")
            with gr.Column(scale=1):
                metrics = gr.Dataframe(headers=METRIC_COLUMNS, label="Quality metrics (lower FID/KID is better)",
                                       interactive=False, elem_id="info-metrics", visible=False)
                gr.Markdown("**Training curves**: losses and discriminator outputs of the run that trained it.")
                curves = gr.Image(show_label=False, type="filepath", interactive=False, elem_id="info-curves")
                note = gr.Markdown(elem_id="info-note")

    def fill(model_id):
        return describe(models, model_id)

    outputs = [card, metrics, curves, note]
    picker.change(fill, picker, outputs, **PRIVATE)
    return ModelInfoTab(picker, outputs, fill)

"""The noise knobs the tabs share: the truncation and temperature sliders, and named presets of them.

A preset sets the seed too, so that its name always means the same picture of a model. Every preset
has the same seed: switching from one to another then changes only the knobs, which is what they
are there to show.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

PRESET_SEED = 0
TRUNCATION_OFF = 0  # the slider's "off": the sampler takes None


@dataclass(frozen=True)
class NoisePreset:
    name: str
    temperature: float
    truncation: float  # TRUNCATION_OFF for none
    effect: str  # what it does to the digits, for the page
    seed: int = PRESET_SEED

    def summary(self) -> str:
        return f"**{self.name.capitalize()}**: {self.effect} ({settings_text(self.truncation, self.temperature)})."


NOISE_PRESETS = (
    NoisePreset("as trained", 1.0, TRUNCATION_OFF, "the noise the model learned from"),
    NoisePreset("crisp", 0.7, 1.0, "clean, typical strokes, less variety"),
    NoisePreset("diverse", 1.3, TRUNCATION_OFF, "more variety in shape and slant, a few odd ones"),
    NoisePreset("wild", 2.0, TRUNCATION_OFF, "beyond what it learned: broken, strange strokes"),
    NoisePreset("prototype", 0.0, TRUNCATION_OFF, "no noise at all: the model's one typical drawing of each digit"),
)
PRESETS_BY_NAME = {p.name: p for p in NOISE_PRESETS}


def settings_text(truncation: float | None, temperature: float) -> str:
    """'temperature 0.7, truncation 1' or '..., no truncation': the caption of what produced a picture."""
    cut = f"truncation {truncation:g}" if truncation else "no truncation"
    return f"temperature {temperature:g}, {cut}"


def truncation_or_none(value: float | None) -> float | None:
    return float(value) if value else None


@dataclass
class NoiseSliders:
    truncation: gr.Slider
    temperature: gr.Slider


def noise_sliders(elem_prefix: str, preset: NoisePreset = PRESETS_BY_NAME["as trained"],
                  label_prefix: str = "") -> NoiseSliders:
    """The two sliders, at `preset`'s values; elem_ids `{elem_prefix}-truncation` and `{elem_prefix}-temperature`."""
    truncation = gr.Slider(0, 3, value=preset.truncation, step=0.1, label=f"{label_prefix}Truncation (0 = off)",
                           elem_id=f"{elem_prefix}-truncation",
                           info="Redraw noise values beyond this size: cleaner but more alike digits.")
    temperature = gr.Slider(0, 2, value=preset.temperature, step=0.05, label=f"{label_prefix}Temperature",
                            elem_id=f"{elem_prefix}-temperature",
                            info="Scale of the noise: low is tidy and uniform, high is wild.")
    return NoiseSliders(truncation, temperature)

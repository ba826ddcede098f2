"""The exported model folder: config.json + model.safetensors (huggingface_hub layout) + info.json + README.md card.

info.json carries what is not needed to rebuild the network: the preset, the
training summary (command, seed, epochs, wall time, hardware), metrics and the
architecture summary (each layer of G and D with its output shape and parameters).
The card (README.md) is rendered from it, so the two never disagree. A folder
exported by training also carries its run's training curves (losses.png).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from torch import nn

from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.fileio import atomic_write_text
from mnistgan.formatting import fmt
from mnistgan.nets import Generator
from mnistgan.nets.summary import LayerRow, as_markdown, summarize_gan
from mnistgan.presets import get_preset

INFO = "info.json"
CURVES = "losses.png"
STOP_REASONS = {"finished": "all planned epochs done", "max_steps": "--max-steps reached",
                "max_seconds": "--max-seconds reached",
                "early_stop": "early stopping (--early-stop)", "interrupted": "Ctrl-C (resume with --resume)"}


def architecture_record(G: Generator, D: nn.Module | None = None) -> dict[str, list[list]]:
    """{"Generator": [[layer, type, output shape, parameters], ...], "Discriminator": ...} for info.json."""
    return {title: [[r.name, r.kind, list(r.output_shape), r.parameters] for r in rows]
            for title, rows in summarize_gan(G, D).items()}


def export_model(G: Generator, model_dir: Path, info: dict, D: nn.Module | None = None,
                 curves: Path | None = None) -> Path:
    """Write the folder under a temp name, then swap it into place (readers never see half of one)."""
    model_dir = Path(model_dir)
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    for stale in model_dir.parent.glob(f".{model_dir.name}.*-*"):  # left by a killed export
        shutil.rmtree(stale, ignore_errors=True)
    tmp = model_dir.with_name(f".{model_dir.name}.tmp-{os.getpid()}")
    G.save_pretrained(tmp)
    write_info(tmp, {**info, "architecture": architecture_record(G, D)})
    if curves is not None and Path(curves).is_file():
        shutil.copyfile(curves, tmp / CURVES)
    old = model_dir.with_name(f".{model_dir.name}.old-{os.getpid()}")
    if model_dir.exists():
        os.replace(model_dir, old)
    os.replace(tmp, model_dir)
    shutil.rmtree(old, ignore_errors=True)
    return model_dir


def read_info(model_dir: Path) -> dict:
    path = Path(model_dir) / INFO
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise ModelFileError(f"{path}: not valid JSON") from None


def write_info(model_dir: Path, info: dict) -> None:
    atomic_write_text(Path(model_dir) / INFO, json.dumps(info, indent=2) + "\n")
    atomic_write_text(Path(model_dir) / "README.md", model_card(info))


def model_card(info: dict) -> str:
    preset = info.get("preset", "?")
    try:
        description = get_preset(preset).description
    except MnistganError:  # an imported or renamed model
        description = ""
    lines = [
        "---", "library_name: mnistgan", "tags: [gan, mnist]", "---", "",
        f"# mnistgan model: {info.get('name', preset)}", "", description, "",
        "```python", "from mnistgan import Sampler", "",
        "s = Sampler.from_pretrained(\"path/to/this/folder\")",
        "images = s(16, seed=0)  # uint8 (16, 28, 28), MNIST polarity", "```", "",
        "## Training", "",
        "| | |", "|---|---|",
    ]
    for key, label in (("preset", "preset"), ("objective", "objective"), ("epochs", "epochs"), ("steps", "generator steps"),
                       ("batch_size", "batch size"), ("seed", "seed"), ("wall_time_s", "wall time (s)"),
                       ("hardware", "hardware"), ("precision", "precision")):
        lines.append(f"| {label} | {fmt(info.get(key))} |")
    if info.get("stopped_by"):
        lines.append(f"| stopped by | {STOP_REASONS.get(info['stopped_by'], info['stopped_by'])} |")
    if info.get("command"):
        lines += ["", "Trained with:", "", "```bash", info["command"], "```"]
    metrics = info.get("metrics")
    if metrics:
        lines += ["", "## Metrics", "", "| metric | model | real-data floor |", "|---|---|---|"]
        for name, value in metrics.get("model", {}).items():
            lines.append(f"| {name} | {fmt(value)} | {fmt(metrics.get('floor', {}).get(name))} |")
        if metrics.get("command"):
            lines += ["", "Measured with:", "", "```bash", metrics["command"], "```"]
    if info.get("architecture"):
        tables = {title: [LayerRow(name, kind, tuple(shape), params) for name, kind, shape, params in rows]
                  for title, rows in info["architecture"].items()}
        lines += ["", "## Architecture", "", as_markdown(tables).rstrip()]
    return "\n".join(lines) + "\n"

"""`mnistgan evaluate`: every quality metric of a model (or an npz of samples) beside the real-data floor."""

from __future__ import annotations

import json
import os
import shlex
import zipfile
from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.console import console, log
from mnistgan.errors import MnistganError
from mnistgan.registry import BUNDLED, resolve_model

# numpy, torch, the metrics and the sampler are imported where they are used: `mnistgan --help` stays quick.

DEFAULT_NUM = 10_000


def load_samples(path: Path, num: int | None = None):
    """(images uint8 (N, 28, 28), labels int64 (N,)) from an npz of the generate contract; -1 labels if absent."""
    import numpy as np

    from mnistgan.metrics.evaluation import check_samples

    try:
        with np.load(path, allow_pickle=False) as z:
            if "images" not in z.files:
                raise MnistganError(f"{path}: not a samples file (no 'images' array; expected images uint8 [N,28,28], labels int64 [N])")
            images = z["images"]
            labels = z["labels"] if "labels" in z.files else np.full(len(images), -1, np.int64)
    except FileNotFoundError:
        raise MnistganError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise MnistganError(f"{path}: not a readable .npz file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if num is not None:
        images, labels = images[:num], labels[:num]
    try:
        return check_samples(images, labels)
    except ValueError as e:
        raise MnistganError(f"{path}: {e}") from None


def print_table(title: str, model: dict, floor: dict) -> None:
    from rich.table import Table  # on first use: it costs every command's start-up ~50 ms otherwise

    from mnistgan.formatting import fmt
    from mnistgan.metrics.registry import METRIC_REGISTRY

    table = Table(title=title)
    for col, justify in (("metric", "left"), ("model", "right"), ("real floor", "right"), ("better", "left"),
                         ("what it measures", "left")):
        table.add_column(col, justify=justify)
    for m in METRIC_REGISTRY.values():
        table.add_row(m.label, fmt(model.get(m.key)), fmt(floor.get(m.key)), m.better, m.explanation)
    console.print(table)
    per_digit = model.get("details", {}).get("cond_acc_per_digit")
    if model.get("cond_acc") is not None and per_digit:
        console.print("conditional accuracy per digit: "
                      + "  ".join(f"{d}: {fmt(a)}" for d, a in enumerate(per_digit)), highlight=False)


def _card_target(model_dir: Path, update_card: bool | None) -> tuple[bool, str]:
    """Whether to write the metrics into the model's info.json/README.md, and if not, why."""
    if update_card is False:
        return False, "--no-update-card"
    if not os.access(model_dir, os.W_OK):
        return False, f"{model_dir} is not writable"
    if update_card is None and model_dir.resolve().is_relative_to(BUNDLED.resolve()):
        return False, "it is a bundled model (pass --update-card to write its card)"
    return True, ""


@app.command("evaluate")
def evaluate(
    model: Optional[str] = typer.Option(None, "--model", help="Registry name (NAME or NAME@VERSION), model folder or run directory."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Score an .npz instead (images uint8 [N,28,28] 0=background 255=ink, labels int64 [N], -1 unconditional)."),
    num: Optional[int] = typer.Option(None, "--num", min=2, max=60_000, help=f"How many samples (default {DEFAULT_NUM:,} from a model; all of an .npz)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the samples and of the metrics' random subsets."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write every figure, with details, to this JSON file."),
    pairs: Optional[Path] = typer.Option(None, "--pairs", help="PNG of the generated digits nearest to a training digit, each above it (default for a model: <model>/memorization.png)."),
    update_card: Optional[bool] = typer.Option(None, "--update-card/--no-update-card", help="Write the metrics into the model's info.json and card (default: yes, except for bundled models)."),
) -> None:
    """Score a model (or an .npz of samples) with every quality metric, beside real MNIST digits' own figures."""
    from mnistgan.fileio import atomic_write_text, writable_dir

    if (model is None) == (samples is None):
        raise MnistganError("give either --model or --samples")
    if pairs is not None and pairs.suffix.lower() != ".png":
        raise MnistganError(f"{pairs}: --pairs must end in .png")
    for path in (json_out, pairs):  # refused now, not after minutes of sampling and scoring
        if path is not None:
            writable_dir(path.parent, what=f"{path}: output directory")
    import torch  # after the checks above: a bad command line is refused without waiting for torch

    from mnistgan.metrics.evaluation import compute_metrics, metrics_record, real_floor, scalars
    from mnistgan.metrics.features import classifier_id, read_config
    from mnistgan.model_folder import read_info, write_info
    from mnistgan.sampling import Sampler

    torch.set_num_threads(min(torch.get_num_threads(), os.cpu_count() or 1))
    model_dir, write_card = None, False
    if samples is not None:
        images, labels = load_samples(samples, num)
        name = str(samples)
    else:
        sampler = Sampler.from_pretrained(model)
        model_dir, _ = resolve_model(model)
        name, num = sampler.name, num or DEFAULT_NUM
        log(f"generating {num:,} digits from {name} (seed {seed})")
        images, labels = sampler.sample(num, None, seed)
        write_card, why_not = _card_target(model_dir, update_card)
        if pairs is None and write_card:
            pairs = model_dir / "memorization.png"
    n = len(images)
    log(f"scoring {n:,} digits against the MNIST test set")
    try:
        result = compute_metrics(images, labels, seed, pairs_path=pairs)
        log(f"real-data floor: {n:,} training digits (memorization: held-out test digits)")
        floor = real_floor(n, seed)
    except ValueError as e:
        raise MnistganError(str(e)) from None
    print_table(f"{name}: {n:,} samples, seed {seed}", result, floor)
    if pairs is not None:
        console.print(f"nearest pairs (generated | training digit): {pairs}", highlight=False)
    command = shlex.join(["mnistgan", "evaluate", *(["--model", model] if model else ["--samples", str(samples)]),
                          "--num", str(n), "--seed", str(seed)])
    if json_out is not None:
        record = {"model": name, "num": n, "seed": seed, "command": command,
                  "classifier": {"id": classifier_id(), "test_accuracy": read_config().get("test_accuracy")},
                  "metrics": scalars(result), "details": result["details"],
                  "floor": scalars(floor), "floor_details": floor["details"]}
        try:
            atomic_write_text(json_out, json.dumps(record, indent=2) + "\n")
        except OSError as e:
            raise MnistganError(f"{json_out}: cannot write ({e.strerror or e})") from None
        console.print(f"wrote {json_out}", highlight=False)
    if model_dir is not None:
        if write_card:
            info = read_info(model_dir)
            info["metrics"] = metrics_record(result, floor, n, seed, command)
            write_info(model_dir, info)
            console.print(f"metrics written to {model_dir / 'info.json'} and its card", highlight=False)
        else:
            console.print(f"model card not updated: {why_not}", highlight=False)

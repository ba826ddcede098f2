"""`mnistgan interpolate`, `compare`, `grid`, `progress` and `report`: pictures of a model or a run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.registry import DEFAULT_MODEL
from mnistgan.console import console

MODEL_HELP = "Registry name (NAME or NAME@VERSION), model folder or run directory."
IMAGE = (".png", ".gif")


@app.command("interpolate")
def interpolate(
    model: str = typer.Option(DEFAULT_MODEL, "--model", help=MODEL_HELP),
    from_digit: Optional[int] = typer.Option(None, "--from-digit", min=0, max=9, help="Start digit (conditional models)."),
    to_digit: Optional[int] = typer.Option(None, "--to-digit", min=0, max=9, help="End digit (conditional models)."),
    seeds: tuple[int, int] = typer.Option((0, 1), "--seeds", help="Noise seeds of the two ends: A B."),
    steps: Optional[int] = typer.Option(None, "--steps", min=2, max=256, help="Images along the walk (default 10 for .png, 24 for .gif)."),
    slerp: bool = typer.Option(False, "--slerp", help="Walk the noise along a great circle instead of a straight line."),
    out: Path = typer.Option(..., "--out", help="Output: .png (a strip) or .gif (an animation, there and back)."),
) -> None:
    """Walk the latent space between two noise vectors (and two digits): a strip or an animated GIF."""
    from mnistgan import pictures
    from mnistgan.outputs import check_output_path
    from mnistgan.sampling import Sampler

    out = check_output_path(out, IMAGE)
    gif = out.suffix.lower() == ".gif"
    sampler = Sampler.from_pretrained(model)
    images = sampler.interpolate(steps or (24 if gif else 10), from_digit, to_digit, seeds, slerp)
    caption = pictures.interpolation_caption(sampler, from_digit, to_digit, seeds, slerp)
    if gif:
        pictures.save_picture(pictures.interpolation_frames(images), out, duration_ms=90)
    else:
        pictures.save_picture(pictures.interpolation_strip(images, caption), out)
    console.print(f"wrote {out} ({caption}, {len(images)} steps)")


@app.command("compare")
def compare(
    model: str = typer.Option(DEFAULT_MODEL, "--model", help=MODEL_HELP),
    per_class: int = typer.Option(8, "--per-class", min=1, max=100, help="Digits per row."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the generated digits and of the real picks."),
    out: Path = typer.Option(..., "--out", help="Output .png."),
) -> None:
    """Real MNIST test digits beside generated ones, same layout (a row per digit for conditional models)."""
    from mnistgan import pictures
    from mnistgan.data import load_mnist
    from mnistgan.outputs import check_output_path
    from mnistgan.sampling import Sampler

    out = check_output_path(out, (".png",))
    sampler = Sampler.from_pretrained(model)
    fake, _ = pictures.samples_per_class(sampler, per_class, seed)
    test = load_mnist("test")
    real = pictures.real_per_class(test.images, test.labels, per_class, seed, by_class=sampler.conditional)
    pictures.save_picture(pictures.real_vs_fake(real, fake, per_class, sampler.conditional, sampler.name), out)
    console.print(f"wrote {out} (real test digits vs {sampler.name})")


@app.command("grid")
def grid(
    model: str = typer.Option(DEFAULT_MODEL, "--model", help=MODEL_HELP),
    per_class: int = typer.Option(10, "--per-class", min=1, max=100, help="Digits per row."),
    seed: int = typer.Option(0, "--seed", min=0, help="Same seed, same digits."),
    out: Path = typer.Option(..., "--out", help="Output .png."),
) -> None:
    """A grid of generated digits: a labelled row per digit for conditional models, 10 rows otherwise."""
    from mnistgan import pictures
    from mnistgan.outputs import check_output_path
    from mnistgan.sampling import Sampler

    out = check_output_path(out, (".png",))
    sampler = Sampler.from_pretrained(model)
    images, _ = pictures.samples_per_class(sampler, per_class, seed)
    pictures.save_picture(pictures.class_grid(images, per_class, sampler.conditional), out)
    console.print(f"wrote {out} ({len(images)} digits from {sampler.name})")


@app.command("progress")
def progress(
    run_dir: Path = typer.Argument(..., help="Run directory from `mnistgan train`."),
    out: Path = typer.Option(..., "--out", help="Output: .png (a collage, a row per epoch) or .gif (one frame per epoch)."),
    rows: int = typer.Option(12, "--rows", min=2, max=200, help="At most this many epochs in the collage (evenly spread; first and last kept)."),
) -> None:
    """Training progress from a run's fixed-noise sample grids: a collage or an animated GIF."""
    from mnistgan import pictures
    from mnistgan.outputs import check_output_path

    _check_run_dir(run_dir)
    out = check_output_path(out, IMAGE)
    if out.suffix.lower() == ".gif":
        frames = pictures.progress_frames(run_dir)
        pictures.save_picture(frames, out, duration_ms=500, hold_last_ms=2000)
        console.print(f"wrote {out} ({len(frames)} frame{'' if len(frames) == 1 else 's'})")
    else:
        pictures.save_picture(pictures.progress_collage(run_dir, most=rows), out)
        console.print(f"wrote {out}")


@app.command("report")
def report(
    run_dir: Path = typer.Argument(..., help="Run directory from `mnistgan train`."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output .html. Default: RUN_DIR/report.html."),
) -> None:
    """One self-contained HTML page about a run: config, curves, quality, pictures, metrics (works offline)."""
    from mnistgan.outputs import check_output_path
    from mnistgan.report import write_report

    _check_run_dir(run_dir)
    out = check_output_path(out or run_dir / "report.html", (".html", ".htm"))
    notes = write_report(run_dir, out)
    console.print(f"wrote {out}" + (f" ({len(notes)} sections without data)" if notes else ""))


def _check_run_dir(run_dir: Path) -> None:
    from mnistgan.errors import MnistganError

    if not run_dir.is_dir():
        raise MnistganError(f"{run_dir}: no such run directory")
    if not any((run_dir / name).exists() for name in ("config.json", "metrics.jsonl", "samples", "model")):
        raise MnistganError(f"{run_dir}: not a run directory (no config.json, metrics.jsonl, samples/ or model/)")

"""`mnistgan interpolate`, `mix`, `compare`, `grid`, `progress` and `report`: pictures of a model or a run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from mnistgan.cli import app
from mnistgan.console import console
from mnistgan.errors import MnistganError
from mnistgan.registry import DEFAULT_MODEL

if TYPE_CHECKING:  # annotations only: numpy, PIL, the sampler (torch) are imported when a command runs
    import numpy as np
    from PIL import Image

    from mnistgan.sampling import Sampler

IMAGE = (".png", ".gif")
MODEL = typer.Option(DEFAULT_MODEL, "--model", help="Registry name (NAME or NAME@VERSION), model folder or run directory.")
RUN_DIR = typer.Argument(..., help="Run directory from `mnistgan train`.")


@app.command("interpolate")
def interpolate(
    model: str = MODEL,
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
        pictures.write_picture_file(pictures.interpolation_gif(images), out)
    else:
        pictures.save_picture(pictures.interpolation_strip(images, caption), out)
    console.print(f"wrote {out} ({caption}, {len(images)} steps)")


@app.command("mix")
def mix(
    model: str = MODEL,
    coarse_seeds: list[int] = typer.Option([0, 1, 2, 3], "--coarse-seed", help="A row's seed: its digit's shape (repeat the option)."),
    fine_seeds: list[int] = typer.Option([10, 11, 12, 13, 14], "--fine-seed", help="A column's seed: its stroke and texture (repeat)."),
    digit: Optional[int] = typer.Option(None, "--digit", min=0, max=9, help="Digit of the rows (conditional models; default 0)."),
    fine_digit: Optional[int] = typer.Option(None, "--fine-digit", min=0, max=9, help="Digit of the columns (default: --digit)."),
    crossover: int = typer.Option(3, "--crossover", min=1, max=5, help="First style layer taken from the column (1: only the 7x7 layer keeps the row's style)."),
    psi: float = typer.Option(1.0, "--psi", min=0.0, max=2.0, help="Truncation in w: 1 none, below 1 toward the digit's average."),
    out: Path = typer.Option(..., "--out", help="Output .png."),
) -> None:
    """Style mixing (stylegan models): a grid whose rows take coarse styles from one set of seeds and columns fine styles from another."""
    from mnistgan import pictures
    from mnistgan.outputs import check_output_path
    from mnistgan.sampling import Sampler

    out = check_output_path(out, (".png",))
    sampler = Sampler.from_pretrained(model)
    picture = pictures.mixing_picture(sampler, coarse_seeds, fine_seeds, digit, fine_digit, crossover, psi)
    pictures.save_picture(picture, out)
    console.print(f"wrote {out} ({len(coarse_seeds)} x {len(fine_seeds)} mixes from {sampler.name})")


def _real_beside(sampler: Sampler, fake: np.ndarray, per_class: int, seed: int) -> Image.Image:
    from mnistgan import pictures
    from mnistgan.data import load_mnist

    test = load_mnist("test")
    real = pictures.real_per_class(test.images, test.labels, per_class, seed, by_class=sampler.conditional)
    return pictures.real_vs_fake(real, fake, per_class, sampler.conditional, sampler.name)


def _class_grid(sampler: Sampler, images: np.ndarray, per_class: int, seed: int) -> Image.Image:
    from mnistgan import pictures

    return pictures.class_grid(images, per_class, sampler.conditional)


def _per_class_command(name: str, default_per_class: int, description: str,
                       draw: Callable[[Sampler, np.ndarray, int, int], Image.Image],
                       wrote: Callable[[Sampler, np.ndarray], str]) -> Callable:
    """Register `name`: sample `per_class` digits a row (`pictures.samples_per_class`) and `draw` them into a PNG."""

    @app.command(name, help=description)
    def command(
        model: str = MODEL,
        per_class: int = typer.Option(default_per_class, "--per-class", min=1, max=100, help="Digits per row."),
        seed: int = typer.Option(0, "--seed", min=0, help="Same seed, same digits (and, for compare, the same real picks)."),
        out: Path = typer.Option(..., "--out", help="Output .png."),
    ) -> None:
        from mnistgan import pictures
        from mnistgan.outputs import check_output_path
        from mnistgan.sampling import Sampler

        out = check_output_path(out, (".png",))  # a bad --out is refused before the sampling, not after
        sampler = Sampler.from_pretrained(model)
        images, _ = pictures.samples_per_class(sampler, per_class, seed)
        pictures.save_picture(draw(sampler, images, per_class, seed), out)
        console.print(f"wrote {out} ({wrote(sampler, images)})")

    return command


compare = _per_class_command(
    "compare", 8, "Real MNIST test digits beside generated ones, same layout (a row per digit for conditional models).",
    _real_beside, lambda sampler, images: f"real test digits vs {sampler.name}")
grid = _per_class_command(
    "grid", 10, "A grid of generated digits: a labelled row per digit for conditional models, 10 rows otherwise.",
    _class_grid, lambda sampler, images: f"{len(images)} digits from {sampler.name}")


@app.command("progress")
def progress(
    run_dir: Path = RUN_DIR,
    out: Path = typer.Option(..., "--out", help="Output: .png (a collage, a row per epoch) or .gif (one frame per epoch)."),
    rows: int = typer.Option(12, "--rows", min=2, max=200, help="At most this many epochs in the collage (evenly spread; first and last kept)."),
) -> None:
    """Training progress from a run's fixed-noise samples: a collage or an animated GIF."""
    from mnistgan import pictures
    from mnistgan.outputs import check_output_path

    _check_run_dir(run_dir)
    out = check_output_path(out, IMAGE)
    if out.suffix.lower() == ".gif":
        frames = pictures.progress_frames(run_dir)
        pictures.save_picture(frames, out, pictures.PROGRESS_FRAME_MS, pictures.PROGRESS_HOLD_MS)
        console.print(f"wrote {out} ({len(frames)} frame{'' if len(frames) == 1 else 's'})")
    else:
        pictures.save_picture(pictures.progress_collage(run_dir, most=rows), out)
        console.print(f"wrote {out}")


@app.command("report")
def report(
    run_dir: Path = RUN_DIR,
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
    from mnistgan.train.rundir import RunDir

    if not run_dir.is_dir():
        raise MnistganError(f"{run_dir}: no such run directory")
    if not RunDir(run_dir).looks_like_run():
        raise MnistganError(f"{run_dir}: not a run directory (none of the files `mnistgan train` writes is in it)")

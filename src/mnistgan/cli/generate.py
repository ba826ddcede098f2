"""`mnistgan generate`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.registry import DEFAULT_MODEL
from mnistgan.console import console


@app.command("generate")
def generate(
    model: str = typer.Option(DEFAULT_MODEL, "--model", help="Registry name (NAME or NAME@VERSION), model folder or run directory."),
    num: int = typer.Option(64, "--num", min=1, max=100_000, help="How many digits."),
    digit: Optional[int] = typer.Option(None, "--digit", help="Digit 0-9 to draw (conditional models). Default: cycle 0..9."),
    seed: int = typer.Option(0, "--seed", min=0, help="Same seed, same digits."),
    truncation: Optional[float] = typer.Option(None, "--truncation", help="Resample noise beyond this magnitude (e.g. 1.0): cleaner, less varied digits."),
    temperature: float = typer.Option(1.0, "--temperature", help="Scale of the noise (the peer demo's 'temperature')."),
    out: Path = typer.Option(..., "--out", help="Output file: .png (a grid) or .npz (images uint8 [N,28,28], labels int64 [N])."),
) -> None:
    """Generate digits with a trained model into a PNG grid or an NPZ file."""
    from mnistgan.outputs import check_output_path, write_samples
    from mnistgan.sampling import Sampler

    check_output_path(out)  # a bad --out is refused before the sampling, not after
    sampler = Sampler.from_pretrained(model)
    images, labels = sampler.sample(num, digit, seed, truncation, temperature)
    write_samples(out, images, labels, conditional=sampler.conditional, digits=digit)
    console.print(f"wrote {len(images)} digits from {sampler.name} to {out}")

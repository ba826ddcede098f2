"""`mnistgan zoo`: every family under one budget, several seeds, one table, one page."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.console import console, log


@app.command("zoo")
def zoo(
    presets: Optional[list[str]] = typer.Option(None, "--preset", help="A preset to include (repeat it); default: all of them."),
    seconds: Optional[float] = typer.Option(None, "--seconds", help="Training seconds per run (the budget; or --images)."),
    images: Optional[int] = typer.Option(None, "--images", help="Training images per run, as D sees them (the budget; or --seconds)."),
    seeds: int = typer.Option(3, "--seeds", help="Runs per preset, seeds 0..N-1."),
    out: Path = typer.Option(Path("runs/zoo"), "--out", help="Zoo directory: runs/, results.json, table.md, fid_vs_time.png, index.html."),
    eval_samples: int = typer.Option(10_000, "--eval-samples", help="Samples per final evaluation."),
    curve_points: int = typer.Option(5, "--curve-points", help="Points of each run's FID-against-time curve."),
    curve_samples: int = typer.Option(2_000, "--curve-samples", help="Samples per point of the curve."),
    device: str = typer.Option("auto", "--device", help="auto (cuda, mps, cpu), cpu, cuda, cuda:N, mps."),
    log_to: str = typer.Option("none", "--log-to", help="none or tensorboard: every run also writes TensorBoard events."),
) -> None:
    """Train presets under one budget with several seeds each, score every run alike, and compare them."""
    from mnistgan.provenance import command_line
    from mnistgan.zoo.report import markdown_table, summarize, write_outputs
    from mnistgan.zoo.runner import ZooSettings, run_zoo

    settings = ZooSettings(presets=tuple(presets) if presets else ZooSettings.presets, seconds=seconds, images=images,
                           seeds=seeds, eval_samples=eval_samples, curve_points=curve_points,
                           curve_samples=curve_samples, out=out, log_to=log_to, device=device)
    results = run_zoo(settings, log=log)
    written = write_outputs(settings, results, command_line())
    console.print(markdown_table(summarize(results)), highlight=False)
    for path in written.values():
        console.print(f"wrote {path}", highlight=False)

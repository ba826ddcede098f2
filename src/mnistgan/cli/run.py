"""`mnistgan run`: the main job behind `make run`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mnistgan import data as mnist_data
from mnistgan.cli import app
from mnistgan.console import console, log
from mnistgan.grids import save_grid


@app.command("run")
def run(
    out: Path = typer.Option(Path("runs/main"), "--out", help="Where to write the outputs."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Directory with the MNIST IDX files."),
) -> None:
    """The main job: fetch and verify MNIST, print a summary, write a grid of real digits per class."""
    train = mnist_data.load_mnist("train", data_dir, log=log)
    test = mnist_data.load_mnist("test", data_dir, log=log)
    console.print(f"MNIST: {len(train):,} training and {len(test):,} test digits, 28x28 uint8, verified.")
    per_class = 10
    picks = [train.images[train.labels == d][:per_class] for d in range(10)]
    path = out / "real_digits.png"
    save_grid(__import__("torch").cat(picks).numpy(), path, nrow=per_class, scale=3)
    console.print(f"wrote {path} (a row of real digits per class)")

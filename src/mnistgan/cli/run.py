"""`mnistgan run`: the main job behind `make run`.

Fetch and verify MNIST, train the default model on it, then measure it and draw
it: metrics beside the real-data floor, a grid per class, a real-vs-generated
comparison and a self-contained HTML report. Each step is the CLI command of
the same name, so the job is exactly what a user could type.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.console import console, log

# = mnistgan.presets.DEFAULT_PRESET, copied because mnistgan.presets imports torch, which `--help` should not wait
# for; tests/cli/test_startup.py holds the two equal.
DEFAULT_PRESET = "cdcgan"


def _invoke(*args: str) -> None:
    console.rule(f"mnistgan {' '.join(args)}", style="dim")
    app(args=list(args), standalone_mode=False)


@app.command("run")
def run(
    out: Optional[Path] = typer.Option(None, "--out", help="Run directory. Default: runs/main-<timestamp>."),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", help="What to train (default: the default conditional preset)."),
    # 5 epochs of cdcgan: FID 0.32 and 99.1% conditional accuracy after ~3 min of training on a 2-core CPU,
    # past the reference recipe's 40-epoch FID at epoch 2 (benchmarks/time_to_quality.py).
    epochs: int = typer.Option(5, "--epochs", min=1, help="Epochs of training."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop training after this many steps (a smoke test)."),
    num: int = typer.Option(10_000, "--num", min=100, help="Samples for the final evaluation."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Directory with the MNIST IDX files."),
) -> None:
    """The main job: verify MNIST, train the default model, write samples, plots, metrics and a report."""
    import torch

    from mnistgan import data as mnist_data
    from mnistgan.fileio import writable_dir
    from mnistgan.grids import save_grid
    from mnistgan.presets import get_preset

    start = time.perf_counter()
    out = out or Path("runs") / f"main-{time.strftime('%Y%m%d-%H%M%S')}"
    get_preset(preset)  # a typo or an unwritable --out is refused before minutes of work, not after
    writable_dir(out, what="run directory")
    train = mnist_data.load_mnist("train", data_dir, log=log)
    test = mnist_data.load_mnist("test", data_dir, log=log)
    console.print(f"MNIST: {len(train):,} training and {len(test):,} test digits, 28x28 uint8, SHA-256 verified.")
    picks = [train.images[train.labels == d][:10] for d in range(10)]
    save_grid(torch.cat(picks).numpy(), out / "real_digits.png", nrow=10, scale=3)

    data_args = ["--data-dir", str(data_dir)] if data_dir else []
    _invoke("train", "--preset", preset, "--out", str(out), "--eval-every", "1",
            "--epochs", str(epochs), *(["--max-steps", str(max_steps)] if max_steps else []),
            *data_args)
    _invoke("evaluate", "--model", str(out / "model"), "--num", str(num), "--json", str(out / "metrics.json"))
    _invoke("grid", "--model", str(out / "model"), "--per-class", "10", "--out", str(out / "grid.png"))
    _invoke("compare", "--model", str(out / "model"), "--out", str(out / "real_vs_fake.png"))
    _invoke("report", str(out), "--out", str(out / "report.html"))
    console.rule("done", style="dim")
    console.print(f"main job finished in {time.perf_counter() - start:.0f}s. In {out}:")
    for name, what in (("real_digits.png", "real MNIST digits, a row per class"),
                       ("samples/", "the model's fixed-noise grid after each epoch"),
                       ("losses.png", "losses, D(x)/D(G(z)) and FID over training"),
                       ("grid.png", "generated digits, a row per class"),
                       ("real_vs_fake.png", "real test digits beside generated ones"),
                       ("metrics.json", "FID, KID, precision/recall, coverage, accuracy vs the real floor"),
                       ("report.html", "everything above in one page (open it in a browser)"),
                       ("model/", "the exported model: mnistgan generate --model " + str(out / "model"))):
        console.print(f"  {name:18s} {what}", highlight=False)

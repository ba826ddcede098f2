"""`mnistgan space MODEL... --out DIR`: a ready-to-push Hugging Face Space serving those models."""

from __future__ import annotations

from pathlib import Path

import typer

from mnistgan.cli import app
from mnistgan.console import console


@app.command("space")
def space(
    models: list[str] = typer.Argument(..., help="Models to serve: NAME, NAME@VERSION, a model folder, a run directory "
                                                 "or hf:USER/REPO[@REVISION]."),
    out: Path = typer.Option(..., "--out", help="Folder to write the Space into: new, or empty."),
    title: str = typer.Option("mnistgan", "--title", help="The Space's title on the Hub."),
) -> None:
    """Write a Gradio Space that serves MODELS with the page and REST API of `mnistgan serve`."""
    from mnistgan.space import write_space

    written = write_space(models, out, title)
    console.print(f"wrote a Space serving {', '.join(written.models)} to {written.folder}; push it with "
                  f"`hf repos create USER/SPACE --type space --sdk gradio` and "
                  f"`hf upload USER/SPACE {written.folder} --type space`", soft_wrap=True, highlight=False)

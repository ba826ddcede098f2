"""`mnistgan import FILE --format FORMAT --out DIR [--name NAME]`: bring your own generator weights."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.console import console


@app.command("import")
def import_weights(
    file: Path = typer.Argument(..., help="The generator's weights: a .pth/.pt state dict or checkpoint, or .safetensors."),
    format_name: str = typer.Option(..., "--format", help="mlp-gan (the classic MLP generator, with or without "
                                                          "BatchNorm) or cgan-mnist (mnist_cgan_generator.pth)."),
    out: Path = typer.Option(..., "--out", help="The model folder to create (a new or empty folder)."),
    name: Optional[str] = typer.Option(None, "--name", help="Also register it under this name (NAME@1, then @2, ...)."),
) -> None:
    """Turn a generator trained by another MNIST GAN script into a mnistgan model folder (tensors only: nothing
    in the file is run)."""
    from mnistgan.importers import import_model  # torch only when the command runs: `--help` stays quick

    imported = import_model(file, format_name, out, name)
    kind = "conditional" if imported.conditional else "unconditional"
    console.print(f"imported {file} ({format_name} as mnistgan's {imported.arch} architecture, {kind}, "
                  f"latent {imported.latent_dim}) into {imported.model_dir}", highlight=False)
    model = imported.model_dir
    if imported.registered is not None:
        console.print(f"registered {imported.registered.id} at {imported.registered.path}", highlight=False)
        model = imported.registered.name
    console.print(f"generate with: mnistgan generate --model {model} --num 64 --out samples.png", highlight=False)

"""`mnistgan export`: a model's generator in a portable format (ONNX)."""

from __future__ import annotations

from pathlib import Path

import typer

from mnistgan.cli import app
from mnistgan.console import console
from mnistgan.errors import MnistganError

FORMATS = {"onnx": ".onnx"}  # format -> the suffix its file must have


@app.command("export")
def export(
    model: str = typer.Argument(..., help="Registry name (NAME or NAME@VERSION), model folder or run directory."),
    format: str = typer.Option("onnx", "--format", help="Output format: onnx."),
    out: Path = typer.Option(..., "--out", help="Output file, e.g. model.onnx."),
) -> None:
    """Export a model's generator: ONNX inputs z (N, latent) float32 [+ digits (N,) int64], output images (N, 1, 28, 28) in [-1, 1]."""
    if format not in FORMATS:
        raise MnistganError(f"--format must be {', '.join(FORMATS)}, not {format!r}")
    from mnistgan.nets import load_generator
    from mnistgan.onnx_export import export_generator
    from mnistgan.outputs import check_output_path
    from mnistgan.registry import resolve_model

    check_output_path(out, suffixes=(FORMATS[format],))  # a bad --out is refused before the export, not after
    model_dir, name = resolve_model(model)
    G = load_generator(model_dir)
    try:
        export_generator(G, out)
    except OSError as e:
        raise MnistganError(f"{out}: cannot write ({e.strerror})") from None
    inputs = f"z [N, {G.latent_dim}] float32" + (", digits [N] int64" if G.conditional else "")
    console.print(f"wrote {name} as ONNX to {out} (inputs: {inputs})", highlight=False)

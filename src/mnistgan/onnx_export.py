"""A generator as ONNX graphs with a dynamic batch dimension (needs torch; running them does not).

The generator graph, the one `mnistgan export` writes:
    inputs  z (N, latent_dim) float32, and for conditional models digits (N,) int64
    output  images (N, 1, 28, 28) float32 in [-1, 1]
Truncation and temperature stay outside: they shape the noise before it goes in.

The interpolation graph (conditional models only) blends two digits' label codes inside the
graph, so a walk from one digit to another needs no torch either:
    inputs  z (N, latent_dim) float32, from_digits (N,) int64, to_digits (N,) int64, blend (N,) float32
    output  images, at label code (1 - blend) * code(from) + blend * code(to)

torch.onnx's dynamo exporter is used: it gives correct graphs for every architecture (MLP,
DCGAN, LabelNorm); the TorchScript one left a LabelNorm generator in training mode after export.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings

import torch
from torch import nn

from mnistgan.extras import import_extra
from mnistgan.fileio import atomic_path
from mnistgan.nets import Generator

OUTPUT = "images"
EXAMPLE_BATCH = 2  # not 1: the exporter would take a batch of one for a constant


class _DigitsGraph(nn.Module):
    """G(z, digits) with the digits as a graph input (an unconditional G gets z alone)."""

    def __init__(self, G: Generator):
        super().__init__()
        self.G = G

    def forward(self, z: torch.Tensor, digits: torch.Tensor) -> torch.Tensor:
        return self.G(z, digits)


class _BlendGraph(nn.Module):
    """G at a blend of two digits' label codes: what `Sampler.interpolate` computes for conditional models."""

    def __init__(self, G: Generator):
        super().__init__()
        self.G = G

    def forward(self, z, from_digits, to_digits, blend):
        code = torch.lerp(self.G.label_code(from_digits), self.G.label_code(to_digits), blend[:, None])
        return self.G.forward_code(z, code)


def export_generator(G: Generator, path: str | os.PathLike) -> None:
    """Write G's generator graph to `path`, atomically."""
    z = torch.randn(EXAMPLE_BATCH, G.latent_dim)
    if G.conditional:
        _export(_DigitsGraph(G), {"z": z, "digits": torch.arange(EXAMPLE_BATCH)}, path)
    else:
        _export(G, {"z": z}, path)


def export_interpolation(G: Generator, path: str | os.PathLike) -> None:
    """Write a conditional G's interpolation graph to `path`, atomically."""
    digits = torch.arange(EXAMPLE_BATCH)
    inputs = {"z": torch.randn(EXAMPLE_BATCH, G.latent_dim), "from_digits": digits, "to_digits": digits.flip(0),
              "blend": torch.linspace(0, 1, EXAMPLE_BATCH)}
    _export(_BlendGraph(G), inputs, path)


def _export(module: nn.Module, inputs: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    import_extra("onnxscript", "onnx", "ONNX export")  # what the exporter translates with
    batch = torch.export.Dim("batch")
    with _quiet_exporter():
        program = torch.onnx.export(module.eval(), tuple(inputs.values()), dynamo=True, verbose=False,
                                    input_names=list(inputs), output_names=[OUTPUT],
                                    dynamic_shapes={name: {0: batch} for name in inputs})
    with atomic_path(path) as tmp:
        program.save(tmp, external_data=False)


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter warns about optional packages it does not need here (torchvision) and about
    its own deprecations; the user asked for a graph, not for those."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)

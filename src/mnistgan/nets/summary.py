"""An architecture summary as Keras' `model.summary()` shows it: each layer, its output shape, its parameters."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mnistgan.nets import NUM_CLASSES


@dataclass(frozen=True)
class LayerRow:
    name: str  # the module's path inside the network, e.g. "net.up1"
    kind: str  # its class, e.g. "ConvTranspose2d"
    output_shape: tuple  # without the batch dimension
    parameters: int  # its own parameters (not its children's)


def _shape(out) -> tuple:
    if isinstance(out, torch.Tensor):
        return tuple(out.shape[1:])
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return tuple(out[0].shape[1:])
    return ()


@torch.no_grad()
def summarize(module: nn.Module, *inputs) -> list[LayerRow]:
    """Every module that holds weights or does work, in definition order, with the output shape of
    its first call in one eval-mode forward of `module(*inputs)`. A module whose weights are used
    without calling it (the conditional D's first conv) shows an empty shape."""
    layers = [(name, m) for name, m in module.named_modules()
              if name and (any(True for _ in m.parameters(recurse=False)) or not list(m.children()))]
    shapes: dict[str, tuple] = {}

    def record(name: str):
        def hook(mod, args, out) -> None:  # returns None: a forward hook's return value would replace `out`
            shapes.setdefault(name, _shape(out))
        return hook

    hooks = [m.register_forward_hook(record(name)) for name, m in layers]
    was_training = module.training
    try:
        module.eval()(*inputs)
    finally:
        module.train(was_training)
        for h in hooks:
            h.remove()
    return [LayerRow(name, type(m).__name__, shapes.get(name, ()), sum(p.numel() for p in m.parameters(recurse=False)))
            for name, m in layers]


def summarize_gan(G: nn.Module, D: nn.Module | None = None) -> dict[str, list[LayerRow]]:
    """G (and D) run on two example inputs: noise and digits, and images."""
    z = torch.zeros(2, G.latent_dim)
    labels = torch.tensor([3, 7]) if G.conditional else None
    tables = {"Generator": summarize(G, z, labels)}
    if D is not None:
        tables["Discriminator"] = summarize(D, torch.zeros(2, 1, 28, 28), labels)
    return tables


def as_markdown(tables: dict[str, list[LayerRow]]) -> str:
    lines = []
    for title, rows in tables.items():
        total = sum(r.parameters for r in rows)
        lines += [f"### {title} ({total:,} parameters)", "", "| layer | type | output shape | parameters |",
                  "|---|---|---|---:|"]
        lines += [f"| {r.name} | {r.kind} | {tuple(r.output_shape)} | {r.parameters:,} |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def as_text(tables: dict[str, list[LayerRow]]) -> str:
    lines = []
    for title, rows in tables.items():
        width = max([len(r.name) + len(r.kind) + 5 for r in rows] + [24])
        lines += [title, "=" * (width + 40), f"{'layer (type)':<{width}}{'output shape':<24}{'params':>16}",
                  "-" * (width + 40)]
        lines += [f"{f'{r.name} ({r.kind})':<{width}}{str(tuple(r.output_shape)):<24}{r.parameters:>16,}" for r in rows]
        lines += ["-" * (width + 40), f"total parameters: {sum(r.parameters for r in rows):,}", ""]
    return "\n".join(lines)


__all__ = ["LayerRow", "summarize", "summarize_gan", "as_markdown", "as_text", "NUM_CLASSES"]

"""The weight layouts `mnistgan import` reads, and how each maps onto a mnistgan Generator.

A format says under which key prefix the file keeps the generator's layers, under which
prefix mnistgan's Generator keeps the same layers, and how to read the Generator's
config (architecture, latent size, width) off the weights' shapes. `to_generator` then
holds every tensor against the network that config builds, so a file of another format,
a missing layer or a mismatched shape is refused in one line that names the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import torch

from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.nets import NUM_CLASSES, Generator
from mnistgan.nets.cgan_mnist import EMBED_DIM

Weight = Callable[[str, int], torch.Tensor]  # (key after the prefix, dimensions) -> the file's tensor
SHOWN_PROBLEMS = 3


class Mismatch(Exception):
    """The file is not laid out as the format says (the importer adds the file's name)."""


@dataclass(frozen=True)
class WeightFormat:
    name: str
    description: str
    source_prefix: str  # where the file keeps the generator's layers, e.g. "model." (model.0.weight)
    target_prefix: str  # where mnistgan's Generator keeps the same layers, e.g. "net.net." (net.net.0.weight)
    config: Callable[[Weight], dict]  # the Generator's config, read off the shapes of the file's tensors


def mlp_gan_config(weight: Weight) -> dict:
    first = weight("0.weight", 2)  # Linear(latent -> width)
    # At index 2 the classic generator has a BatchNorm1d (1-D weight), the notebooks' plain one a Linear.
    plain = weight("2.weight", 0).dim() == 2
    return dict(arch="mlp-relu" if plain else "mlp", latent_dim=first.shape[1], num_classes=0, width=first.shape[0])


def cgan_mnist_config(weight: Weight) -> dict:
    classes = weight("label_embedding.weight", 2).shape[0]
    if classes != NUM_CLASSES:
        raise Mismatch(f"label_embedding.weight has {classes} classes, MNIST's digits are {NUM_CLASSES}")
    inputs = weight("projection.0.weight", 2).shape[1]  # latent + the 20-wide label embedding
    width = weight("conv_blocks.1.weight", 4).shape[1]  # ConvTranspose2d(2w -> w): (2w, w, 4, 4)
    return dict(arch="cgan-mnist", latent_dim=inputs - EMBED_DIM, num_classes=NUM_CLASSES, width=width)


FORMATS: dict[str, WeightFormat] = {f.name: f for f in [
    WeightFormat("mlp-gan", "the classic MLP generator (nn.Sequential under `model.`), with LeakyReLU + BatchNorm "
                 "or plain ReLU", source_prefix="model.", target_prefix="net.net.", config=mlp_gan_config),
    WeightFormat("cgan-mnist", "the conditional generator published as mnist_cgan_generator.pth",
                 source_prefix="", target_prefix="net.", config=cgan_mnist_config),
]}


def weight_format(name: str) -> WeightFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise MnistganError(f"unknown --format {name!r}; known: {', '.join(FORMATS)}") from None


def _weight(state: dict[str, torch.Tensor], prefix: str, key: str, dims: int) -> torch.Tensor:
    tensor = state.get(prefix + key)
    if tensor is None:
        raise Mismatch(f"no {prefix + key}")
    if dims and tensor.dim() != dims:
        raise Mismatch(f"{prefix + key} is {tuple(tensor.shape)}, expected {dims} dimensions")
    return tensor


def read_config(state: dict[str, torch.Tensor], fmt: WeightFormat) -> dict:
    config = fmt.config(partial(_weight, state, fmt.source_prefix))
    if config["latent_dim"] < 1:
        raise Mismatch(f"the weights leave a latent size of {config['latent_dim']}")
    return config


def looks_like(state: dict[str, torch.Tensor]) -> list[str]:
    """The formats whose layout the weights fit, to point at the right --format."""
    fits = []
    for fmt in FORMATS.values():
        try:
            read_config(state, fmt)
            fits.append(fmt.name)
        except Mismatch:
            pass
    return fits


def problems(state: dict[str, torch.Tensor], expected: dict[str, torch.Size]) -> list[str]:
    """Missing, unexpected and mis-shaped tensors, under the file's own key names."""
    # num_batches_tracked only counts BatchNorm updates (unused in eval mode); older PyTorch did not save it.
    found = [f"missing {k}" for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    found += [f"unexpected {k}" for k in state if k not in expected]
    found += [f"{k} is {tuple(v.shape)}, expected {tuple(expected[k])}" for k, v in state.items()
              if k in expected and v.shape != expected[k]]
    return found


def to_generator(state: dict[str, torch.Tensor], fmt: WeightFormat, path: Path) -> Generator:
    """The mnistgan Generator (eval mode) that computes what the file's network computed."""
    try:
        G = Generator(**read_config(state, fmt))
    except Mismatch as e:
        others = [name for name in looks_like(state) if name != fmt.name]
        hint = f" (it looks like --format {others[0]})" if others else ""
        raise ModelFileError(f"{path}: not {fmt.name} weights: {e}{hint}") from None
    own = G.state_dict()
    expected = {fmt.source_prefix + k[len(fmt.target_prefix):]: v.shape for k, v in own.items()}
    found = problems(state, expected)
    if found:
        more = f" (and {len(found) - SHOWN_PROBLEMS} more)" if len(found) > SHOWN_PROBLEMS else ""
        raise ModelFileError(f"{path}: does not match --format {fmt.name}: {'; '.join(found[:SHOWN_PROBLEMS])}{more}")
    weights = {fmt.target_prefix + k[len(fmt.source_prefix):]: v for k, v in state.items()}
    G.load_state_dict({**own, **weights})  # strict: every tensor of G set, from the file or (a counter) its own
    return G.eval().requires_grad_(False)

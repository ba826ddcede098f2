"""Architectures: `Generator` (the one exported class) and `build_discriminator`.

An architecture is a pair of modules registered in `ARCHS`: a generator
`net(z, labels)` with a label `embed` and `forward_embedded(z, code)` (so
interpolation can blend digits), and a discriminator `D(x, labels)` returning
realism logits (B,) or (B, 1 + classes) with an auxiliary classifier head.

`Generator` rebuilds any of them from its config: `save_pretrained` writes
config.json + model.safetensors and `from_pretrained` reads a folder (or a Hub
repo) back, through huggingface_hub's mixin, never unpickling anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from huggingface_hub import PyTorchModelHubMixin
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator, LabelNormDCGANGenerator
from mnistgan.nets.mlp import MLPDiscriminator, MLPGenerator

NUM_CLASSES = 10
CONFIG_FILE, WEIGHTS_FILE = "config.json", "model.safetensors"
REQUIRED_CONFIG = {"arch", "latent_dim", "num_classes", "width"}


@dataclass(frozen=True)
class Architecture:
    generator: Callable[..., nn.Module]  # (latent_dim, num_classes, width, **options) -> net
    discriminator: Callable[..., nn.Module]  # (num_classes, width, **options) -> D


def _dcgan_generator(latent_dim: int, num_classes: int, width: int, label_norm: bool = False) -> nn.Module:
    if label_norm and not num_classes:
        raise MnistganError("label_norm needs a conditional dcgan generator")
    cls = LabelNormDCGANGenerator if label_norm else DCGANGenerator
    return cls(latent_dim=latent_dim, num_classes=num_classes, width=width)


def _mlp_generator(latent_dim: int, num_classes: int, width: int, label_norm: bool = False) -> nn.Module:
    if label_norm:
        raise MnistganError("label_norm needs a conditional dcgan generator")
    return MLPGenerator(latent_dim=latent_dim, num_classes=num_classes, width=width)


ARCHS: dict[str, Architecture] = {
    "mlp": Architecture(_mlp_generator, lambda num_classes, width, **_: MLPDiscriminator(num_classes, width)),
    "dcgan": Architecture(_dcgan_generator, DCGANDiscriminator),
}


def architecture(arch: str) -> Architecture:
    try:
        return ARCHS[arch]
    except KeyError:
        raise MnistganError(f"unknown architecture {arch!r}; known: {', '.join(ARCHS)}") from None


class Generator(nn.Module, PyTorchModelHubMixin, library_name="mnistgan", tags=["gan", "mnist"]):
    """Any mnistgan generator: `G(z, labels) -> images in [-1, 1], (B, 1, 28, 28)`.

    Its __init__ arguments are the config that `save_pretrained` writes to
    config.json and `from_pretrained` reads back (huggingface_hub's convention).
    """

    def __init__(self, arch: str = "dcgan", latent_dim: int = 100, num_classes: int = 0, width: int = 64,
                 label_norm: bool = False):
        super().__init__()
        build = architecture(arch).generator
        self.arch, self.latent_dim, self.num_classes, self.width = arch, latent_dim, num_classes, width
        self.label_norm = label_norm
        self.net = build(latent_dim, num_classes, width, label_norm=label_norm)

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z, labels if self.conditional else None)

    def label_code(self, labels: torch.Tensor) -> torch.Tensor:
        """(B,) digits -> (B, code) the network reads; codes of two digits can be blended."""
        return self.net.embed(labels)

    def forward_code(self, z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """G from a label code (a digit's, or a blend of two) instead of a digit."""
        return self.net.forward_embedded(z, code)

    @classmethod
    def _from_pretrained(cls, *, model_id: str, revision=None, cache_dir=None, force_download=False,
                         local_files_only=False, token=None, map_location: str = "cpu", strict: bool = True,
                         **config) -> "Generator":
        """The mixin's loader, strict: every weight present and used, errors naming the file."""
        config.pop("config", None)  # the mixin also passes the whole config.json; its fields are here already
        folder = Path(model_id)
        if folder.is_dir():
            weights = folder / WEIGHTS_FILE
        else:  # a Hub repo id: the mixin already fetched config.json; fetch the weights beside it
            from huggingface_hub import hf_hub_download

            weights = Path(hf_hub_download(model_id, WEIGHTS_FILE, revision=revision, cache_dir=cache_dir,
                                           force_download=force_download, token=token,
                                           local_files_only=local_files_only))
        try:
            G = cls(**config)
        except (TypeError, ValueError, MnistganError) as e:
            raise ModelFileError(f"{folder / CONFIG_FILE}: not a valid mnistgan model config ({e})") from None
        try:
            state = load_file(str(weights), device=map_location)
        except (SafetensorError, OSError) as e:
            raise ModelFileError(f"{weights}: not a valid safetensors file ({str(e).splitlines()[0]})") from None
        try:
            G.load_state_dict(state, strict=strict)
        except RuntimeError as e:
            raise ModelFileError(f"{weights}: weights do not match {CONFIG_FILE} ({str(e).splitlines()[0]})") from None
        return G.eval().requires_grad_(False)


def load_generator(model_dir: str | Path) -> Generator:
    """A model folder's generator in eval mode; a missing, corrupt or mismatched file names itself."""
    model_dir = Path(model_dir)
    config_path = model_dir / CONFIG_FILE
    for p in (config_path, model_dir / WEIGHTS_FILE):
        if not p.is_file():
            raise ModelFileError(f"{p}: missing (a model folder holds {CONFIG_FILE} and {WEIGHTS_FILE})")
    try:
        config = json.loads(config_path.read_text())
    except ValueError as e:
        raise ModelFileError(f"{config_path}: not a valid mnistgan model config ({e})") from None
    missing = REQUIRED_CONFIG - set(config) if isinstance(config, dict) else REQUIRED_CONFIG
    if missing:
        raise ModelFileError(f"{config_path}: not a valid mnistgan model config (missing {', '.join(sorted(missing))})")
    return Generator.from_pretrained(model_dir)


def build_discriminator(arch: str, num_classes: int, width: int, **options) -> nn.Module:
    return architecture(arch).discriminator(num_classes=num_classes, width=width, **options)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())

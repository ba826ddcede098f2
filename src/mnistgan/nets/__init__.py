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
from functools import partial
from pathlib import Path
from typing import Callable

import torch
from huggingface_hub import PyTorchModelHubMixin
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.nets.cgan_mnist import CGANMnistGenerator
from mnistgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator, LabelNormDCGANGenerator
from mnistgan.nets.mlp import MLPDiscriminator, MLPGenerator
from mnistgan.nets.resnet import ResNetDiscriminator, ResNetGenerator
from mnistgan.nets.stylegan import NUM_WS, StyleGenerator

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


def _without_label_norm(cls):
    def build(latent_dim: int, num_classes: int, width: int, label_norm: bool = False) -> nn.Module:
        if label_norm:
            raise MnistganError("label_norm needs a conditional dcgan generator")
        return cls(latent_dim=latent_dim, num_classes=num_classes, width=width)
    return build


def _imported_only(arch: str) -> Callable[..., nn.Module]:
    def refuse(num_classes: int, width: int, **options) -> nn.Module:
        raise MnistganError(f"{arch} is an imported generator: mnistgan has no discriminator or training recipe "
                            "for it; train a preset instead (`mnistgan presets`)")
    return refuse


ARCHS: dict[str, Architecture] = {
    "mlp": Architecture(_without_label_norm(MLPGenerator), lambda num_classes, width, **_: MLPDiscriminator(num_classes, width)),
    "dcgan": Architecture(_dcgan_generator, DCGANDiscriminator),
    # StyleGAN's generator with the conditional DCGAN's discriminator (label planes, AC-GAN head, minibatch-std)
    "stylegan": Architecture(_without_label_norm(StyleGenerator), DCGANDiscriminator),
    "resnet": Architecture(_without_label_norm(ResNetGenerator), ResNetDiscriminator),
    # Generators trained elsewhere (`mnistgan import`), with no recipe to train them here. A variant gets its
    # own name rather than a config flag, so a mnistgan without it refuses the folder instead of misbuilding it.
    "mlp-relu": Architecture(_without_label_norm(partial(MLPGenerator, activation="relu", batch_norm=False)),
                             _imported_only("mlp-relu")),
    "cgan-mnist": Architecture(_without_label_norm(CGANMnistGenerator), _imported_only("cgan-mnist")),
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

    @property
    def has_styles(self) -> bool:
        """Style-based generators map z to w and read one w per layer: they can mix and truncate in w."""
        return isinstance(self.net, StyleGenerator)

    def styles(self, z: torch.Tensor, labels: torch.Tensor | None, psi: float = 1.0) -> torch.Tensor:
        """z (B, latent) -> per-layer styles ws (B, NUM_WS, w_dim), truncated toward the digit's mean w."""
        code = self.label_code(labels) if self.conditional else None
        w = self.net.truncate(self.net.map(z, code), code, psi) if psi != 1.0 else self.net.map(z, code)
        return w[:, None].expand(-1, NUM_WS, -1)

    def synthesize(self, ws: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, 28, 28) from per-layer styles; rows of ws may come from different z's (style mixing)."""
        return self.net.synthesis(ws)

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

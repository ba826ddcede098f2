"""The model zoo: architectures x objectives x conditioning, combined through presets.

A preset names an architecture (`mlp`, `dcgan`), an objective (`losses.py`),
whether it is class-conditional, and the training defaults its recipe uses.
`Generator` is the one exported class: it rebuilds any architecture from its
config, saves as config.json + model.safetensors, and loads without pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from mnistgan.errors import MnistganError
from mnistgan.models.dcgan import DCGANDiscriminator, DCGANGenerator, LabelNormDCGANGenerator
from mnistgan.models.mlp import MLPDiscriminator, MLPGenerator

NUM_CLASSES = 10
ARCHS = ("mlp", "dcgan")


class Generator(nn.Module, PyTorchModelHubMixin, library_name="mnistgan", tags=["gan", "mnist"]):
    """Any mnistgan generator: `G(z, labels) -> images in [-1, 1], (B, 1, 28, 28)`.

    Its __init__ arguments are the config that `save_pretrained` writes to
    config.json and `from_pretrained` reads back (huggingface_hub's convention).
    """

    def __init__(self, arch: str = "dcgan", latent_dim: int = 100, num_classes: int = 0, width: int = 64,
                 label_norm: bool = False):
        super().__init__()
        if arch not in ARCHS:
            raise MnistganError(f"unknown architecture {arch!r}; known: {', '.join(ARCHS)}")
        if label_norm and (arch != "dcgan" or not num_classes):
            raise MnistganError("label_norm needs a conditional dcgan generator")
        self.arch, self.latent_dim, self.num_classes, self.width = arch, latent_dim, num_classes, width
        self.label_norm = label_norm
        cls = MLPGenerator if arch == "mlp" else LabelNormDCGANGenerator if label_norm else DCGANGenerator
        self.net = cls(latent_dim=latent_dim, num_classes=num_classes, width=width)

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z, labels if self.conditional else None)


def build_discriminator(arch: str, num_classes: int, width: int, d_norm: str = "batch",
                        minibatch_std: bool = False) -> nn.Module:
    if arch == "mlp":
        return MLPDiscriminator(num_classes=num_classes, width=width)
    return DCGANDiscriminator(num_classes=num_classes, width=width, d_norm=d_norm, minibatch_std=minibatch_std)


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    arch: str
    objective: str  # a key of losses.OBJECTIVES
    conditional: bool
    d_norm: str = "batch"
    # D sees each batch's diversity: conditional generators otherwise tend to draw one digit per class.
    minibatch_std: bool = False
    # G: the digit modulates every BatchNorm (LabelNorm), not only the input.
    label_norm: bool = False
    # Training defaults of the recipe: any TrainConfig field.
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def search_space(self):
        """This recipe's Optuna search space for `mnistgan tune` (models/search_spaces.py)."""
        from mnistgan.models.search_spaces import SEARCH_SPACES

        return SEARCH_SPACES[self.name]


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "mlp-gan", "The classic MLP GAN (BCE, Adam 2e-4), as widely published, at batch 512 (published: 128).",
            arch="mlp", objective="bce", conditional=False,
            # Batch 512, not the published 128: about 1.5x the images/s on a CPU, and a lower FID after
            # the same 200 epochs on an H100 (0.52 against 0.95; README). --batch-size 128 is the original.
            defaults=dict(epochs=200, batch_size=512, lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
                          latent_dim=100, g_width=256, d_width=256),
        ),
        Preset(
            "dcgan", "Convolutional GAN, 7->14->28 transposed convs, BatchNorm, label smoothing 0.9.",
            arch="dcgan", objective="bce", conditional=False,
            defaults=dict(epochs=20, batch_size=128, lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
                          latent_dim=100, g_width=64, d_width=64, label_smoothing=0.9),
        ),
        Preset(
            "cdcgan", "Class-conditional DCGAN: the label in every BatchNorm of G, label planes + auxiliary classifier (AC-GAN) in D, BCE; the default.",
            arch="dcgan", objective="bce", conditional=True, minibatch_std=True, label_norm=True,
            # Batch 64 at lr 1e-3 with LabelNorm: FID 0.46 and 97% conditional accuracy after 180k images
            # (3 epochs), against 6.2 and 78% for the first recipe (batch 128, lr 2e-4, label at the input).
            defaults=dict(epochs=10, batch_size=64, lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999,
                          latent_dim=64, g_width=32, d_width=32, label_smoothing=0.9),
        ),
        Preset(
            "wgan-gp", "Wasserstein GAN with gradient penalty (lambda 10, 5 critic steps), no BatchNorm in the critic.",
            arch="dcgan", objective="wgan-gp", conditional=False, d_norm="none",
            defaults=dict(epochs=20, batch_size=64, lr_g=1e-4, lr_d=1e-4, beta1=0.0, beta2=0.9,
                          latent_dim=100, g_width=64, d_width=64, n_critic=5, gp_weight=10.0),
        ),
        Preset(
            "hinge-sn", "Conditional hinge GAN: spectral norm, minibatch-std and an auxiliary classifier in D.",
            arch="dcgan", objective="hinge", conditional=True, d_norm="spectral", minibatch_std=True,
            # Width 32 trains ~2.5x faster than 64 on a CPU; quality holds on MNIST.
            defaults=dict(epochs=5, batch_size=64, lr_g=2e-4, lr_d=2e-4, beta1=0.0, beta2=0.9,
                          latent_dim=64, g_width=32, d_width=32),
        ),
    ]
}
DEFAULT_PRESET = "cdcgan"  # the best conditional recipe by FID and accuracy on a CPU budget


def generator_for(preset: Preset, latent_dim: int, width: int) -> Generator:
    return Generator(preset.arch, latent_dim, NUM_CLASSES if preset.conditional else 0, width,
                     label_norm=preset.label_norm)


def discriminator_for(preset: Preset, width: int) -> nn.Module:
    return build_discriminator(preset.arch, NUM_CLASSES if preset.conditional else 0, width, preset.d_norm,
                               preset.minibatch_std)


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise MnistganError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())

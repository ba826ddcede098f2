"""Recipes: an architecture x an objective x conditioning, with the training defaults that work.

A preset names an architecture (`nets.ARCHS`), an objective (`objectives.OBJECTIVES`),
whether it is class-conditional, and the TrainConfig defaults of its recipe.
Figures behind the choices are in the README, beside the commands that measured them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from mnistgan.errors import MnistganError
from mnistgan.nets import NUM_CLASSES, Generator, build_discriminator


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    arch: str
    objective: str  # a key of objectives.OBJECTIVES
    conditional: bool
    d_norm: str = "batch"
    # D sees each batch's diversity: conditional generators otherwise tend to draw one digit per class.
    minibatch_std: bool = False
    # G: the digit modulates every BatchNorm (LabelNorm), not only the input.
    label_norm: bool = False
    # Training defaults of the recipe: any TrainConfig field.
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def d_options(self) -> dict[str, Any]:
        """The discriminator's architecture options beyond width and classes."""
        return {"d_norm": self.d_norm, "minibatch_std": self.minibatch_std}


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "mlp-gan", "The classic MLP GAN (BCE, Adam 2e-4), as widely published, at batch 512 (published: 128).",
            arch="mlp", objective="bce", conditional=False,
            # Batch 512, not the published 128: more images/s on a CPU and a lower FID after the same
            # 200 epochs (README, "mlp-gan batch size"). --batch-size 128 is the original.
            defaults=dict(epochs=200, batch_size=512, lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
                          latent_dim=100, g_width=256, d_width=256),
        ),
        Preset(
            "dcgan", "Convolutional GAN, 7->14->28 transposed convs, BatchNorm, minibatch-std, label smoothing 0.9.",
            arch="dcgan", objective="bce", conditional=False, minibatch_std=True,
            # cdcgan's optimizer (batch 64, lr 1e-3) and width 32: half the FID of the published batch 128,
            # lr 2e-4, width 64 after the same 3 epochs, at a quarter of the cost per image (README, "Recipes").
            defaults=dict(epochs=20, batch_size=64, lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999,
                          latent_dim=64, g_width=32, d_width=32, label_smoothing=0.9),
        ),
        Preset(
            "cdcgan", "Class-conditional DCGAN: the label in every BatchNorm of G, label planes + auxiliary classifier (AC-GAN) in D, BCE; the default.",
            arch="dcgan", objective="bce", conditional=True, minibatch_std=True, label_norm=True,
            # Batch 64 at lr 1e-3 with LabelNorm: far better FID and conditional accuracy per image than the
            # first recipe (batch 128, lr 2e-4, label at the input); README, "Time to quality".
            defaults=dict(epochs=10, batch_size=64, lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999,
                          latent_dim=64, g_width=32, d_width=32, label_smoothing=0.9),
        ),
        Preset(
            "wgan-gp", "Wasserstein GAN with gradient penalty (lambda 10), no BatchNorm in the critic.",
            arch="dcgan", objective="wgan-gp", conditional=False, d_norm="none",
            # One critic step at lr 1e-3 (beta1 0.5), not the paper's 5 at 1e-4: after the same 3 epochs
            # the published recipe had made 562 generator steps and FID 33; this one makes 2,811 (README, "Recipes").
            defaults=dict(epochs=20, batch_size=64, lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.9,
                          latent_dim=64, g_width=32, d_width=32, n_critic=1, gp_weight=10.0),
        ),
        Preset(
            "hinge-sn", "Conditional hinge GAN: the label in every BatchNorm of G; spectral norm, minibatch-std "
            "and an auxiliary classifier in D.",
            arch="dcgan", objective="hinge", conditional=True, d_norm="spectral", minibatch_std=True, label_norm=True,
            # Adam at lr 1e-3, betas (0.5, 0.999) instead of SN-GAN's 2e-4, (0, 0.9): FID 7.2 -> 2.0 and
            # conditional accuracy 70% -> 89% after the same 3 epochs (README, "Recipes"). Width 32 for CPU speed.
            defaults=dict(epochs=10, batch_size=64, lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999,
                          latent_dim=64, g_width=32, d_width=32),
        ),
        Preset(
            "stylegan", "StyleGAN2-style G (mapping network with the digit, modulated convs, noise, style mixing) "
            "with the conditional DCGAN's D; BCE.",
            arch="stylegan", objective="bce", conditional=True, minibatch_std=True,
            defaults=dict(epochs=10, batch_size=64, lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.99,
                          latent_dim=64, g_width=16, d_width=32, label_smoothing=0.9),
        ),
        Preset(
            "r3gan", "R3GAN: relativistic pairing loss with R1 + R2, residual G and D without normalization, "
            "class-conditional by projection; cosine schedules of lr, gamma and beta2.",
            arch="resnet", objective="rpgan", conditional=True, d_norm="none",
            # R3GAN's CIFAR-10 schedules (lr to a quarter, gamma to a tenth, beta2 0.9 -> 0.99, cosine) at 5x
            # its lr and 2x its gamma: FID 8.3 -> 0.44 after the same 3 epochs (README, "Recipes"); R1/R2 every
            # 4th D step at 4x the weight (StyleGAN2's lazy regularization): nearly twice the images/s.
            defaults=dict(epochs=10, batch_size=128, lr_g=1e-3, lr_d=1e-3, beta1=0.0, beta2=0.9,
                          latent_dim=64, g_width=16, d_width=16, r1_gamma=0.1, r2_gamma=0.1,
                          lr_decay="cosine", lr_final=0.25, gamma_final=0.1, beta2_final=0.99,
                          reg_every=4),
        ),
    ]
}
DEFAULT_PRESET = "cdcgan"  # the best conditional recipe by FID and accuracy on a CPU budget


def generator_for(preset: Preset, latent_dim: int, width: int) -> Generator:
    return Generator(preset.arch, latent_dim, NUM_CLASSES if preset.conditional else 0, width,
                     label_norm=preset.label_norm)


def discriminator_for(preset: Preset, width: int) -> nn.Module:
    return build_discriminator(preset.arch, NUM_CLASSES if preset.conditional else 0, width, **preset.d_options)


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise MnistganError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None

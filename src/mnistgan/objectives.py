"""Adversarial objectives as small callables over discriminator outputs (logits).

Each objective has `d_loss(real_out, fake_out)` and `g_loss(fake_out)`; the
gradient penalty of WGAN-GP needs D itself and lives in `gradient_penalty`.
`d_real`/`d_fake` turn outputs into the numbers people log as D(x), D(G(z)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class NonSaturatingBCE:
    """Goodfellow et al. 2014 with the non-saturating generator loss.

    `real_label` < 1 is one-sided label smoothing (Salimans et al. 2016).
    """

    real_label: float = 1.0
    name: str = "bce"
    gradient_penalty: bool = False

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        real = F.binary_cross_entropy_with_logits(real_out, torch.full_like(real_out, self.real_label))
        fake = F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
        return real + fake

    def g_loss(self, fake_out: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_out, torch.ones_like(fake_out))

    def score(self, out: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(out.float()).mean()


@dataclass(frozen=True)
class Wasserstein:
    """WGAN critic loss (Arjovsky et al. 2017); pair with the gradient penalty (Gulrajani et al. 2017)."""

    name: str = "wgan-gp"
    gradient_penalty: bool = True

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        return fake_out.mean() - real_out.mean()

    def g_loss(self, fake_out: torch.Tensor) -> torch.Tensor:
        return -fake_out.mean()

    def score(self, out: torch.Tensor) -> torch.Tensor:
        return out.float().mean()


@dataclass(frozen=True)
class Hinge:
    """Hinge loss as in SN-GAN / BigGAN (Lim & Ye 2017; Miyato et al. 2018)."""

    name: str = "hinge"
    gradient_penalty: bool = False

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()

    def g_loss(self, fake_out: torch.Tensor) -> torch.Tensor:
        return -fake_out.mean()

    def score(self, out: torch.Tensor) -> torch.Tensor:
        return out.float().mean()


def make_objective(name: str, label_smoothing: float = 1.0):
    if name == "bce":
        return NonSaturatingBCE(real_label=label_smoothing)
    if name == "wgan-gp":
        return Wasserstein()
    if name == "hinge":
        return Hinge()
    raise ValueError(f"unknown objective {name!r}")


def gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """E[(||grad_x D(x_hat)||_2 - 1)^2] on random interpolates x_hat of real and fake."""
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    x_hat = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = D(x_hat, labels)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()

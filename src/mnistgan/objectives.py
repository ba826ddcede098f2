"""Adversarial objectives: small callables over discriminator logits, with their regularizers.

An objective has `d_loss(real_out, fake_out)`, `g_loss(fake_out, real_out)` and
`mean_output(out)` (what people log as D(x), D(G(z))). Its `regularizers` are
callables `reg(D, real, fake, labels) -> weighted loss` that need D itself:
the WGAN-GP gradient penalty, R1 on real digits, R2 on generated ones.
`OBJECTIVES` maps a preset's objective name to a factory of the objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

# D(x, labels) -> logits; what a regularizer differentiates
Critic = Callable[[torch.Tensor, "torch.Tensor | None"], torch.Tensor]


# ---------------------------------------------------------------- regularizers


def _input_gradient(D: Critic, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """grad_x sum(D(x)), kept in the graph so the penalty trains D. (B, ...) like x."""
    x = x.detach().requires_grad_(True)
    out = D(x, labels)
    realism = out if out.dim() == 1 else out[:, 0]  # the realism logit, not the class logits
    (grad,) = torch.autograd.grad(realism.sum(), x, create_graph=True)
    return grad


def gradient_penalty(D: Critic, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """E[(||grad_x D(x_hat)||_2 - 1)^2] on random interpolates x_hat of real and fake (Gulrajani et al. 2017)."""
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    x_hat = alpha * real + (1 - alpha) * fake.detach()
    grad = _input_gradient(D, x_hat, labels)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def squared_gradient_norm(D: Critic, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """E[||grad_x D(x)||^2]: R1 on real digits, R2 on generated ones (Mescheder et al. 2018; R3GAN)."""
    return _input_gradient(D, x, labels).flatten(1).square().sum(1).mean()


@dataclass(frozen=True)
class GradientPenalty:
    weight: float = 10.0

    def __call__(self, D, real, fake, labels):
        return self.weight * gradient_penalty(D, real, fake, labels)


@dataclass(frozen=True)
class ZeroCenteredPenalty:
    """gamma / 2 * E ||grad_x D(x)||^2 at the real (R1) or generated (R2) digits: D flat around them.

    Called on its own it runs D again; `gan.d_loss` instead takes the gradient from the adversarial
    pass itself (R3GAN's way), which saves a D forward per penalty. Both give the same value.
    """

    gamma: float
    on: str  # "real" (R1) or "fake" (R2)

    def __call__(self, D, real, fake, labels):
        return self.gamma / 2 * squared_gradient_norm(D, real if self.on == "real" else fake, labels)

    def from_outputs(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """The penalty from D's realism logits `out` (B,) computed on `x`, which requires grad."""
        (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        return self.gamma / 2 * grad.float().flatten(1).square().sum(1).mean()


def R1(gamma: float) -> ZeroCenteredPenalty:  # noqa: N802 - the penalty's name in the literature
    return ZeroCenteredPenalty(gamma, "real")


def R2(gamma: float) -> ZeroCenteredPenalty:  # noqa: N802
    return ZeroCenteredPenalty(gamma, "fake")


# ---------------------------------------------------------------- objectives


@dataclass(frozen=True)
class Objective:
    """What every objective has: its regularizers, and D's mean raw output as D(x) / D(G(z))."""

    regularizers: tuple = ()
    g_needs_real = False  # relativistic objectives compare fakes with reals in G's loss too

    def mean_output(self, out: torch.Tensor) -> torch.Tensor:
        return out.float().mean()


@dataclass(frozen=True)
class NonSaturatingBCE(Objective):
    """Goodfellow et al. 2014 with the non-saturating generator loss.

    `real_label` < 1 is one-sided label smoothing (Salimans et al. 2016).
    """

    real_label: float = 1.0

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        real = F.binary_cross_entropy_with_logits(real_out, torch.full_like(real_out, self.real_label))
        fake = F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
        return real + fake

    def g_loss(self, fake_out: torch.Tensor, real_out: torch.Tensor | None = None) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_out, torch.ones_like(fake_out))

    def mean_output(self, out: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(out.float()).mean()


@dataclass(frozen=True)
class Wasserstein(Objective):
    """WGAN critic loss (Arjovsky et al. 2017); pair with the gradient penalty (Gulrajani et al. 2017)."""

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        return fake_out.mean() - real_out.mean()

    def g_loss(self, fake_out: torch.Tensor, real_out: torch.Tensor | None = None) -> torch.Tensor:
        return -fake_out.mean()


@dataclass(frozen=True)
class Hinge(Objective):
    """Hinge loss as in SN-GAN / BigGAN (Lim & Ye 2017; Miyato et al. 2018)."""

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()

    def g_loss(self, fake_out: torch.Tensor, real_out: torch.Tensor | None = None) -> torch.Tensor:
        return -fake_out.mean()


@dataclass(frozen=True)
class RelativisticPairing(Objective):
    """RpGAN (Jolicoeur-Martineau 2019), as R3GAN uses it: each real digit is paired with a
    generated one and D judges which of the two is more real; G's loss is the mirror image."""

    g_needs_real = True

    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
        return F.softplus(fake_out - real_out).mean()

    def g_loss(self, fake_out: torch.Tensor, real_out: torch.Tensor | None = None) -> torch.Tensor:
        return F.softplus(real_out - fake_out).mean()


@dataclass(frozen=True)
class ObjectiveOptions:
    """The TrainConfig fields an objective reads."""

    label_smoothing: float = 1.0
    gp_weight: float = 10.0
    r1_gamma: float = 0.0
    r2_gamma: float = 0.0


def _r1_r2(o: ObjectiveOptions) -> tuple:
    return tuple(reg for reg, on in ((R1(o.r1_gamma), o.r1_gamma > 0), (R2(o.r2_gamma), o.r2_gamma > 0)) if on)


OBJECTIVES: dict[str, Callable[[ObjectiveOptions], object]] = {
    "bce": lambda o: NonSaturatingBCE(real_label=o.label_smoothing, regularizers=_r1_r2(o)),
    "wgan-gp": lambda o: Wasserstein(regularizers=(GradientPenalty(o.gp_weight),)),
    "hinge": lambda o: Hinge(regularizers=_r1_r2(o)),
    "rpgan": lambda o: RelativisticPairing(regularizers=_r1_r2(o)),
}


def make_objective(name: str, options: ObjectiveOptions | None = None):
    try:
        factory = OBJECTIVES[name]
    except KeyError:
        raise ValueError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}") from None
    return factory(options or ObjectiveOptions())

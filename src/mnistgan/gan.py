"""The GAN of one training step, top to bottom: G, D, G_ema and the losses that train them.

    fake = G(z, y)                                    # (B, 1, 28, 28) in [-1, 1]
    D step: objective.d_loss(D(real), D(fake))        # + AC-GAN classifier loss on real digits
            + each regularizer(D, real, fake, y)      # gradient penalty, R1, R2 (in fp32)
    G step: objective.g_loss(D(fake), D(real))        # + AC-GAN: D should read the digit asked for
    G_ema <- lerp(G_ema, G, 1 - decay)                # what samples, evaluation and export use

Optimizers, precision, CUDA graphs and the loop live in `train/`; this module is
only the model and its arithmetic, so it can be read (and copied) on its own.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from mnistgan.objectives import ObjectiveOptions, ZeroCenteredPenalty, make_objective
from mnistgan.presets import DEFAULT_PRESET, discriminator_for, generator_for, get_preset


@dataclass(frozen=True)
class GANConfig:
    preset: str = DEFAULT_PRESET
    latent_dim: int = 64
    g_width: int = 32
    d_width: int = 32
    label_smoothing: float = 1.0  # BCE's real label; 0.9 is one-sided smoothing
    gp_weight: float = 10.0  # WGAN-GP's lambda
    r1_gamma: float = 0.0  # R1 penalty on real digits (0: off)
    r2_gamma: float = 0.0  # R2 penalty on generated digits (0: off)
    aux_weight: float = 1.0  # AC-GAN classifier loss, for discriminators with a class head
    ema_decay: float = 0.999
    reg_every: int = 1  # R1/R2 on every reg_every-th D step, weighted reg_every times (lazy regularization)

    @classmethod
    def from_options(cls, options) -> "GANConfig":
        """The GAN's fields of a TrainConfig (or any object that has them)."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(cls)})


class GAN(nn.Module):
    def __init__(self, config: GANConfig):
        super().__init__()
        self.config = config
        preset = get_preset(config.preset)
        self.conditional = preset.conditional
        self.G = generator_for(preset, config.latent_dim, config.g_width)
        self.D = discriminator_for(preset, config.d_width)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.objective = make_objective(preset.objective, ObjectiveOptions(
            label_smoothing=config.label_smoothing, gp_weight=config.gp_weight,
            r1_gamma=config.r1_gamma, r2_gamma=config.r2_gamma))
        # One D pass over [real; fake] is cheaper than two, but BatchNorm statistics would then
        # mix real and fake digits, which changes the algorithm: only fuse without BatchNorm.
        self.fuse_d = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.D.modules())
        regs = self.objective.regularizers
        self.input_penalties = [r for r in regs if isinstance(r, ZeroCenteredPenalty)]  # R1, R2: from D's own pass
        self.other_penalties = [r for r in regs if not isinstance(r, ZeroCenteredPenalty)]  # e.g. WGAN-GP
        self.penalty_scale = 1.0  # a schedule may lower gamma over the run (train/step.py)

    def critic(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """D's raw output: (B,) logits, or (B, 1 + classes) with a class head."""
        return self.D(x, labels if self.conditional else None)

    @staticmethod
    def split(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's output -> (realism logits (B,) in fp32, class logits (B, classes) or None)."""
        out = out.float()
        return (out, None) if out.dim() == 1 else (out[:, 0], out[:, 1:])

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor,
               penalize: bool = True) -> tuple[torch.Tensor, dict]:
        """D's loss on real digits and detached fakes (B, 1, 28, 28); also D(x), D(G(z)) for the log.
        `penalize` False skips R1/R2 this step (lazy regularization: they weigh `reg_every` times more
        on the steps that have them)."""
        B = real.shape[0]
        input_penalties = self.input_penalties if penalize else []
        on = {p.on for p in input_penalties}
        if on:  # R1/R2 differentiate D's logits with respect to its inputs
            real, fake = real.detach().requires_grad_("real" in on), fake.detach().requires_grad_("fake" in on)
        if self.fuse_d:
            out = self.critic(torch.cat([real, fake]), torch.cat([labels, labels]))  # (2B, ...)
            real_out, fake_out = out[:B], out[B:]
        else:
            real_out, fake_out = self.critic(real, labels), self.critic(fake, labels)
        (real_out, real_cls), (fake_out, _) = self.split(real_out), self.split(fake_out)
        loss = self.objective.d_loss(real_out, fake_out)
        if real_cls is not None:  # AC-GAN: D learns to classify real digits
            loss = loss + self.config.aux_weight * F.cross_entropy(real_cls, labels)
        for penalty in input_penalties:
            x, out = (real, real_out) if penalty.on == "real" else (fake, fake_out)
            loss = loss + self.penalty_scale * self.config.reg_every * penalty.from_outputs(x, out)
        if self.other_penalties:
            # Penalties on interpolates run D again, in fp32 whatever the step's autocast.
            with torch.autocast(real.device.type, enabled=False):
                for regularize in self.other_penalties:
                    loss = loss + regularize(self.critic, real, fake.float(), labels)
        stats = {"d_real": self.objective.mean_output(real_out.detach()),
                 "d_fake": self.objective.mean_output(fake_out.detach())}
        return loss, stats

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """G's loss through D on the same fakes (not detached); `real` only for relativistic objectives."""
        fake_out, fake_cls = self.split(self.critic(fake, labels))
        real_out = self.split(self.critic(real, labels))[0].detach() if self.objective.g_needs_real else None
        loss = self.objective.g_loss(fake_out, real_out)
        if fake_cls is not None:  # AC-GAN: G draws digits D reads as the label asked for
            loss = loss + self.config.aux_weight * F.cross_entropy(fake_cls, labels)
        return loss

    @torch.no_grad()
    def update_ema(self, decay: float | torch.Tensor) -> None:
        """G_ema <- lerp(G_ema, G, 1 - decay); BatchNorm statistics are copied.

        A Python float lets one fused lerp pass do it; a device tensor (inside a CUDA graph)
        takes sub/mul/add, since the tensor-weight lerp synchronizes and cannot be captured.
        """
        ema, live = list(self.G_ema.parameters()), list(self.G.parameters())
        if isinstance(decay, torch.Tensor):
            step = torch._foreach_sub(live, ema)
            torch._foreach_mul_(step, 1 - decay)
            torch._foreach_add_(ema, step)
        else:
            torch._foreach_lerp_(ema, live, 1 - decay)
        buffers = list(self.G_ema.buffers())
        if buffers:  # BatchNorm statistics, StyleGAN's mean w; R3GAN's G has none
            torch._foreach_copy_(buffers, list(self.G.buffers()))

    def ema_decay(self, g_steps: int | torch.Tensor) -> float | torch.Tensor:
        """The decay after `g_steps` generator steps: ramps up as (1 + t) / (10 + t), so early
        samples are not dominated by the random init, and is capped at `ema_decay`."""
        if isinstance(g_steps, torch.Tensor):
            return torch.clamp((1 + g_steps) / (10 + g_steps), max=self.config.ema_decay)
        return min((1 + g_steps) / (10 + g_steps), self.config.ema_decay)

"""One optimization step of a GAN: the optimizers, the precision, and the order of updates.

Per step: draw z, generate once, update D on (real, fake.detach()), and on a
generator step (every `n_critic`-th) update G through D on the same fakes (no
second generator forward), then G_ema. `TrainStep.body` is free of Python-side
state, so `train/graphs.py` can capture it as a CUDA graph and replay it.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import torch

from mnistgan.devices import autocast
from mnistgan.gan import GAN
from mnistgan.train.schedules import Schedule

Prepare = Callable[..., tuple[torch.Tensor, torch.Tensor]]  # the step's inputs -> (real, labels)


def as_given(real: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The `prepare` of a step whose batch is already gathered."""
    return real, labels


@contextlib.contextmanager
def frozen(module: torch.nn.Module):
    """No weight gradients for `module` while gradients still flow through it."""
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


class TrainStep:
    """`step(real, labels, g_step)` -> device tensors {loss_d, d_real, d_fake[, loss_g]} (no sync).

    `rank`/`world_size` (several processes, train/ddp.py): each rank draws the whole global
    batch's noise and keeps its rows, so the ranks' random streams stay in step; one process
    draws exactly randn(B).
    """

    def __init__(self, gan: GAN, lr_g: float, lr_d: float, betas: tuple[float, float], device: torch.device,
                 precision: str, capturable: bool = False, rank: int = 0, world_size: int = 1):
        self.gan, self.device, self.precision = gan, device, precision
        self.rank, self.world_size = rank, world_size
        self.base_lrs = (lr_g, lr_d)
        # capturable: Adam keeps its step count on the GPU, as graph replay requires.
        # fused: one kernel per step instead of a dozen per tensor (Adam was a quarter of a CPU step).
        fused = device.type in ("cpu", "cuda") or None
        self.opt_g = torch.optim.Adam(gan.G.parameters(), lr=lr_g, betas=betas, capturable=capturable, fused=fused)
        self.opt_d = torch.optim.Adam(gan.D.parameters(), lr=lr_d, betas=betas, capturable=capturable, fused=fused)
        self.scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
        self.capturing = capturable  # under a CUDA graph: no autocast cache, EMA decay as a device tensor
        self.g_steps = 0  # generator steps taken, for the EMA warm-up
        self.ema_t = torch.zeros((), device=device)  # the same count on the device, read inside a graph

    def follow(self, schedule: Schedule, t: float) -> None:
        """Set learning rates, the R1/R2 weight and beta2 for run fraction t; computed from the step
        count, so a resumed run agrees."""
        lr_fraction, gamma_fraction, beta2 = schedule.at(t)
        for opt, lr in zip((self.opt_g, self.opt_d), self.base_lrs):
            for group in opt.param_groups:
                group["lr"] = lr * lr_fraction
                group["betas"] = (group["betas"][0], beta2)
        self.gan.penalty_scale = gamma_fraction

    def __call__(self, real: torch.Tensor, labels: torch.Tensor, g_step: bool,
                 penalize: bool = True) -> dict[str, torch.Tensor]:
        stats = self.body(real, labels, g_step, penalize)
        self.g_steps += g_step
        return stats

    def body(self, real: torch.Tensor, labels: torch.Tensor, g_step: bool, penalize: bool = True) -> dict[str, torch.Tensor]:
        """The arithmetic of one step; real (B, 1, 28, 28) in [-1, 1], labels (B,); `penalize`: this step
        includes D's R1/R2 penalties (lazy regularization applies them every `reg_every` steps)."""
        gan, B = self.gan, real.shape[0]
        z = torch.randn(B * self.world_size, gan.config.latent_dim, device=self.device)[self.rank * B : (self.rank + 1) * B]
        with autocast(self.device, self.precision, cache=not self.capturing):
            with torch.set_grad_enabled(g_step):
                fake = gan.G(z, labels)  # (B, 1, 28, 28)
            loss_d, stats = gan.d_loss(real, fake.detach(), labels, penalize)
        self._optimize(self.opt_d, loss_d)
        stats["loss_d"] = loss_d.detach()
        if g_step:
            # D's weights are frozen for the G step: its gradient flows through D to G, and the
            # D weight gradients nobody uses (a ninth of the step's matmuls) are never computed.
            with frozen(gan.D):
                with autocast(self.device, self.precision, cache=not self.capturing):
                    loss_g = gan.g_loss(fake, real, labels)
                self.opt_g.zero_grad(set_to_none=True)
                self.scaler.scale(loss_g).backward()
            self.scaler.step(self.opt_g)
            stats["loss_g"] = loss_g.detach()
            gan.update_ema(self._ema_decay())
        self.scaler.update()
        return stats

    def _optimize(self, opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(opt)

    def _ema_decay(self) -> float | torch.Tensor:
        if self.capturing:
            self.ema_t += 1  # replayed with the graph: counts generator steps on the device
            return self.gan.ema_decay(self.ema_t)
        return self.gan.ema_decay(self.g_steps + 1)  # this step included, known on the host

    # ------------------------------------------------------------ state

    def state(self) -> tuple[dict[str, torch.optim.Optimizer], dict]:
        """The optimizers by checkpoint name, and the JSON-able rest."""
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}, {"scaler": self.scaler.state_dict()}

    def load_state(self, meta: dict, g_steps: int) -> None:
        self.scaler.load_state_dict(meta["scaler"])
        self.g_steps = g_steps
        self.ema_t.fill_(g_steps)

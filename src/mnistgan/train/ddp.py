"""Several processes train one model: `torchrun --nproc-per-node K -m mnistgan train ...`
or `mnistgan train --nproc K` (which starts torchrun for you).

Each rank holds a full copy of G, D and G_ema and trains on its own slice of every
global batch (`data.DeviceBatches` shards each epoch's permutation by rank), so K
ranks with `--batch-size B` train like one process with batch K*B:

- gradients are averaged over the ranks (one flat all-reduce per optimizer step,
  in an optimizer pre-step hook) before every Adam step, so every rank takes the
  same step and the weights never drift apart;
- BatchNorm layers in training mode normalize with statistics over the whole
  global batch (`GlobalBatchNorm`: SyncBatchNorm's arithmetic, but on any backend,
  gloo on CPUs included) -- plain per-rank statistics would change the algorithm;
- every rank draws the noise of the whole global batch and keeps its own rows
  (`TrainStep.body`), so the ranks' random streams stay in step;
- only rank 0 writes checkpoints, sample grids, metrics, evaluations and the
  exported model; every rank loads the same checkpoint on `--resume`.

What stays per rank: dropout masks (mlp presets) and WGAN-GP's interpolation
weights are drawn from each rank's generator, which is in step with the others,
so rank r repeats rank 0's draws on different digits -- the same distribution,
not the same numbers as one process would draw. Minibatch-std (hinge-sn,
cdcgan) pools groups of 4 consecutive samples: the same groups as one process
forms when the per-rank batch divides by 4. Resume a run with the number
of processes it started with (the global batch, and so each epoch's steps,
depend on it). fp16 (GradScaler) is refused: its per-rank skipped steps would
desynchronize the ranks; bf16 and fp32 work.

Backends: gloo for CPU tensors, NCCL for CUDA tensors (one GPU per rank,
`LOCAL_RANK`); the process group is set up from torchrun's environment
variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from mnistgan.config import resolve
from mnistgan.errors import MnistganError
from mnistgan.train import session
from mnistgan.train.stopping import StopSignal


def torchrun_env() -> tuple[int, int, int] | None:
    """(rank, world_size, local_rank) when started by torchrun with more than one process, else None."""
    try:
        world_size = int(os.environ["WORLD_SIZE"])
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0))
    except (KeyError, ValueError):
        return None
    return (rank, world_size, local_rank) if world_size > 1 else None


def init_process_group() -> tuple[int, int]:
    """Join the process group torchrun described; returns (rank, world_size)."""
    env = torchrun_env()
    if env is None:
        raise MnistganError("not started by torchrun with more than one process")
    rank, world_size, local_rank = env
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)  # "cuda" now means this rank's GPU
            backend = "cpu:gloo,cuda:nccl"  # collectives go by the tensors' device
        else:
            backend = "gloo"
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return rank, world_size


# ---------------------------------------------------------------- the arithmetic


def all_reduce_mean_(tensors: list[torch.Tensor]) -> None:
    """Average tensors over the ranks in place, with one all-reduce of a flat buffer."""
    if not tensors:
        return
    flat = _flatten_dense_tensors(tensors)
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    for t, averaged in zip(tensors, _unflatten_dense_tensors(flat, tensors)):
        t.copy_(averaged)


def _average_gradients(optimizer: torch.optim.Optimizer, args, kwargs) -> None:
    """Optimizer pre-step hook: each rank's gradient of its mean loss -> the global batch's gradient."""
    all_reduce_mean_([p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None])


class _SumOverRanks(torch.autograd.Function):
    """all-reduce (sum) whose backward is the all-reduce of the incoming gradients."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        dist.all_reduce(x)
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm:
    """Mixed into a BatchNorm1d/2d in place: training-mode statistics over every rank's batch.

    The per-channel sums, sums of squares and counts are all-reduced with a
    differentiable all-reduce, so the backward pass is that of one BatchNorm
    over the global batch. Eval mode (running statistics) is unchanged; the
    parameters, buffers and state_dict keys are those of the module it replaces.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not dist.is_initialized():
            return super().forward(x)
        self._check_input_dim(x)
        channels = x.shape[1]
        dims = [0, *range(2, x.dim())]
        xf = x.float()
        count = xf.new_full((1,), x.numel() // channels)
        total = _SumOverRanks.apply(torch.cat([xf.sum(dims), (xf * xf).sum(dims), count]))  # (2C + 1,)
        n = total[-1]
        mean = total[:channels] / n
        var = (total[channels : 2 * channels] / n - mean * mean).clamp_min(0)  # biased, as BatchNorm normalizes
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), factor)
                unbiased = var.detach() * n / (n - 1).clamp_min(1)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), factor)
        shape = [1, channels] + [1] * (x.dim() - 2)
        y = (xf - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


_GLOBAL_CLASSES: dict[type, type] = {}


def use_global_batch_norm(module: nn.Module) -> int:
    """Turn every BatchNorm of `module` into its GlobalBatchNorm variant in place; returns how many."""
    n = 0
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and not isinstance(m, GlobalBatchNorm):
            cls = type(m)
            if cls not in _GLOBAL_CLASSES:
                _GLOBAL_CLASSES[cls] = type(f"Global{cls.__name__}", (GlobalBatchNorm, cls), {})
            m.__class__ = _GLOBAL_CLASSES[cls]
            n += 1
    return n


def check_precision(precision: str) -> None:
    if precision == "fp16":
        raise MnistganError("--precision fp16 cannot train on several processes (GradScaler skips steps per rank); "
                            "use bf16 or fp32")


def distribute(gan, step) -> None:
    """Make one rank's GAN and step train as one process on the global batch.

    Every rank built the same weights from the same seed (or loaded the same checkpoint);
    rank 0's copy is made authoritative anyway. Call after loading a checkpoint, before training.
    """
    with torch.no_grad():
        for module in (gan.G, gan.D, gan.G_ema):
            for t in [*module.parameters(), *module.buffers()]:
                dist.broadcast(t, src=0)
    use_global_batch_norm(gan.G)
    use_global_batch_norm(gan.D)  # G_ema stays as it is: it only runs in eval mode
    step.opt_g.register_step_pre_hook(_average_gradients)
    step.opt_d.register_step_pre_hook(_average_gradients)


class AgreedStop(StopSignal):
    """Ctrl-C stops every rank at the same step: the signal only raises a local flag, and the ranks
    OR their flags each time the loop asks, which every rank does at the same points."""

    def requested(self) -> bool:
        flag = torch.tensor([float(self.seen)])
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return flag.item() > 0


# ---------------------------------------------------------------- entry points


def run_training(preset, config_file, overrides: dict, out, resume, log=print, progress=True) -> Path:
    """`session.run_training`, on every rank when started by torchrun (else in this one process)."""
    if torchrun_env() is None:
        return session.run_training(preset, config_file, overrides, out, resume, log, progress)
    rank, world_size = init_process_group()
    try:
        if out is None and resume is None:
            # The default run dir has a timestamp: rank 0 picks it for everyone.
            chosen = [str(session.default_run_dir(resolve(preset, config_file, **overrides).preset))]
            dist.broadcast_object_list(chosen, src=0)
            out = Path(chosen[0])
        quiet = rank != 0
        trainer = session.build_trainer(preset, config_file, overrides, out, resume,
                                        log=(lambda m: None) if quiet else log, progress=progress and not quiet,
                                        rank=rank, world_size=world_size, stop=AgreedStop())
        check_precision(trainer.precision)
        if trainer.cfg.max_seconds is not None:  # each rank's clock differs: they would stop at different steps
            raise MnistganError("--max-seconds cannot stop several processes at the same step; use --max-steps")
        if rank == 0:
            log(f"{world_size} processes, global batch {world_size} x {trainer.cfg.batch_size}")
        distribute(trainer.gan, trainer.step_fn)
        return trainer.fit()
    finally:
        dist.destroy_process_group()


def is_rank_zero() -> bool:
    env = torchrun_env()
    return env is None or env[0] == 0


def command_args(ctx, skip: tuple[str, ...] = ("nproc",)) -> list[str]:
    """The options of a parsed click/typer command line, rebuilt as arguments (minus `skip`)."""
    args: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.name in skip or value is None or value is False or not getattr(param, "opts", None):
            continue
        if getattr(param, "is_flag", False):
            args.append(param.opts[0])
        else:
            args += [param.opts[0], str(value)]
    return args


def launch(nproc: int, args: list[str]) -> int:
    """Run `mnistgan ARGS` on `nproc` local processes through torchrun; returns its exit status."""
    if nproc < 1:
        raise MnistganError(f"--nproc must be at least 1, got {nproc}")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "mnistgan", *args]
    env = dict(os.environ)
    # torchrun would set 1 with a warning; the ranks share this machine's cores.
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    return subprocess.run(command, env=env).returncode

"""Whole-step CUDA graphs: capture a training step once, then replay it for every batch.

MNIST models are so small that on a GPU a step is mostly kernel-launch
overhead; replaying a captured graph removes it. The captured arithmetic is
`TrainStep.body`, unchanged: same noise sampling (graph-safe Philox), same
losses, same optimizer updates (Adam with `capturable=True`); in the loop, the
batch's gather from the on-device dataset is captured too. The first
`WARMUP` steps run eagerly on a side stream, as torch's docs prescribe; they
are real training steps. One graph per kind of step (D only, D + G).

`EagerStep` and `GraphedStep` run a step the same way from the loop's side:
`run(prepare, inputs, g_step)`, where `prepare` maps the inputs to (real, labels).
"""

from __future__ import annotations

from typing import Callable

import torch

from mnistgan.train.step import TrainStep

WARMUP = 3


def cuda_graphs_wanted(cfg, device: torch.device, precision: str) -> bool:
    if cfg.cuda_graphs == "off" or device.type != "cuda":
        return False
    # A captured Adam step holds its learning rate as a constant; a schedule (--lr-decay) changes it every step.
    if cfg.lr_decay != "none":
        return False
    # fp16 needs GradScaler's dynamic skipping, which a static graph cannot express.
    return precision != "fp16"


class EagerStep:
    def __init__(self, step: TrainStep):
        self.step = step

    def run(self, prepare: Callable, inputs: tuple[torch.Tensor, ...], g_step: bool,
            penalize: bool = True) -> dict[str, torch.Tensor]:
        return self.step(*prepare(*inputs), g_step, penalize)


class GraphedStep:
    """Graphs keyed by (prepare, g_step, penalize): `prepare` is captured with the step. The loop passes
    the batch's indices and the gather, so per step only an index copy and a replay are launched;
    callers holding tensors pass them with `step.as_given`."""

    def __init__(self, step: TrainStep, n_critic: int):
        self.step, self.n_critic = step, n_critic
        self.graphs: dict[tuple, torch.cuda.CUDAGraph] = {}
        self.outputs: dict[tuple, dict[str, torch.Tensor]] = {}
        self.static_inputs: dict[Callable, tuple[torch.Tensor, ...]] = {}
        self.eager_steps = 0

    def run(self, prepare: Callable, inputs: tuple[torch.Tensor, ...], g_step: bool,
            penalize: bool = True) -> dict[str, torch.Tensor]:
        static = self.static_inputs.get(prepare)
        if static is None:
            static = self.static_inputs[prepare] = tuple(t.clone() for t in inputs)
        for dst, src in zip(static, inputs):
            dst.copy_(src)
        key = (prepare, g_step, penalize)
        if key not in self.graphs and self.eager_steps < WARMUP * self.n_critic:
            stats = self._eager(prepare, static, g_step, penalize)
        else:
            if key not in self.graphs:
                self._capture(key, static)
            self.graphs[key].replay()
            stats = self.outputs[key]
        self.step.g_steps += g_step
        return stats

    def _eager(self, prepare: Callable, static: tuple[torch.Tensor, ...], g_step: bool,
               penalize: bool) -> dict[str, torch.Tensor]:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            out = self.step.body(*prepare(*static), g_step, penalize)
        torch.cuda.current_stream().wait_stream(side)
        self.eager_steps += 1
        return out

    def _capture(self, key: tuple, static: tuple[torch.Tensor, ...]) -> None:
        prepare, g_step, penalize = key
        graph = torch.cuda.CUDAGraph()
        torch.cuda.synchronize()
        # Each graph gets its own memory pool: D-only and D+G graphs replay in no fixed order.
        with torch.cuda.graph(graph):
            self.outputs[key] = self.step.body(*prepare(*static), g_step, penalize)
        self.graphs[key] = graph


def build_step(gan, cfg, device: torch.device, precision: str, rank: int = 0, world_size: int = 1):
    """The TrainStep for a TrainConfig, and what runs it: replayed CUDA graphs where they pay, else eagerly.
    (Collectives inside captured graphs are not worth their trouble for models this small: one process only.)"""
    graphs = world_size == 1 and cuda_graphs_wanted(cfg, device, precision)
    step = TrainStep(gan, cfg.lr_g, cfg.lr_d, (cfg.beta1, cfg.beta2), device, precision, capturable=graphs,
                     rank=rank, world_size=world_size)
    return step, (GraphedStep(step, cfg.n_critic) if graphs else EagerStep(step))

"""Whole-step CUDA graphs: capture a training step once, then replay it for every batch.

MNIST models are so small that on a GPU a step is mostly kernel-launch
overhead; replaying a captured graph removes it. The captured arithmetic is
`Trainer.step_body`, unchanged: same noise sampling (graph-safe Philox), same
losses, same optimizer updates (Adam with `capturable=True`); in `fit`, the
batch's gather from the on-device dataset is captured too. The first
`WARMUP` steps run eagerly on a side stream, as torch's docs prescribe; they
are real training steps. One graph per kind of step (D only, D + G).
"""

from __future__ import annotations

from typing import Callable

import torch

WARMUP = 3


def cuda_graphs_wanted(cfg, device: torch.device, precision: str) -> bool:
    if cfg.cuda_graphs == "off" or device.type != "cuda":
        return False
    # A captured Adam step holds its learning rate as a constant; --lr-decay changes it every step.
    if cfg.lr_decay != "none":
        return False
    # fp16 needs GradScaler's dynamic skipping, which a static graph cannot express.
    return precision != "fp16"


def as_given(real: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The `prepare` of a step whose batch is already gathered."""
    return real, labels


class GraphedSteps:
    """Graphs keyed by (prepare, g_step): `prepare` maps the step's inputs to (real, labels) and is
    captured with the step. `fit` passes the batch's indices and the gather, so per step only an
    index copy and a replay are launched; `Trainer.train_step` passes gathered tensors."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.graphs: dict[tuple, torch.cuda.CUDAGraph] = {}
        self.outputs: dict[tuple, dict[str, torch.Tensor]] = {}
        self.static_inputs: dict[Callable, tuple[torch.Tensor, ...]] = {}
        self.eager_steps = 0

    def run(self, prepare: Callable, inputs: tuple[torch.Tensor, ...], g_step: bool) -> dict[str, torch.Tensor]:
        static = self.static_inputs.get(prepare)
        if static is None:
            static = self.static_inputs[prepare] = tuple(t.clone() for t in inputs)
        for dst, src in zip(static, inputs):
            dst.copy_(src)
        key = (prepare, g_step)
        if key not in self.graphs and self.eager_steps < WARMUP * self.trainer.cfg.n_critic:
            return self._eager(prepare, static, g_step)
        if key not in self.graphs:
            self._capture(key, static)
        self.graphs[key].replay()
        return self.outputs[key]

    def _eager(self, prepare: Callable, static: tuple[torch.Tensor, ...], g_step: bool) -> dict[str, torch.Tensor]:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            out = self.trainer.step_body(*prepare(*static), g_step)
        torch.cuda.current_stream().wait_stream(side)
        self.eager_steps += 1
        return out

    def _capture(self, key: tuple, static: tuple[torch.Tensor, ...]) -> None:
        prepare, g_step = key
        graph = torch.cuda.CUDAGraph()
        torch.cuda.synchronize()
        # Each graph gets its own memory pool: D-only and D+G graphs replay in no fixed order.
        with torch.cuda.graph(graph):
            self.outputs[key] = self.trainer.step_body(*prepare(*static), g_step)
        self.graphs[key] = graph

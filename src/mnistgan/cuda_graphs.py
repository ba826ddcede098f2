"""Whole-step CUDA graphs: capture a training step once, then replay it for every batch.

MNIST models are so small that on a GPU a step is mostly kernel-launch
overhead; replaying a captured graph removes it. The captured arithmetic is
`Trainer.step_body`, unchanged: same noise sampling (graph-safe Philox), same
losses, same optimizer updates (Adam with `capturable=True`). The first
`WARMUP` steps run eagerly on a side stream, as torch's docs prescribe; they
are real training steps. One graph per kind of step (D only, D + G).
"""

from __future__ import annotations

import torch

WARMUP = 3


def cuda_graphs_wanted(cfg, device: torch.device, precision: str) -> bool:
    if cfg.cuda_graphs == "off" or device.type != "cuda":
        return False
    # A captured Adam step holds its learning rate as a constant; --lr-decay changes it every step.
    if cfg.lr_decay != "none":
        return False
    # fp16 needs GradScaler's dynamic skipping, which a static graph cannot express.
    return precision in ("bf16", "fp32")


class GraphedSteps:
    def __init__(self, trainer):
        self.trainer = trainer
        self.graphs: dict[bool, torch.cuda.CUDAGraph] = {}
        self.outputs: dict[bool, dict[str, torch.Tensor]] = {}
        self.static_real: torch.Tensor | None = None
        self.static_labels: torch.Tensor | None = None
        self.eager_steps = 0

    def run(self, real: torch.Tensor, labels: torch.Tensor, g_step: bool) -> dict[str, torch.Tensor]:
        if self.static_real is None:
            self.static_real, self.static_labels = real.clone(), labels.clone()
        self.static_real.copy_(real)
        self.static_labels.copy_(labels)
        if g_step not in self.graphs and self.eager_steps < WARMUP * self.trainer.cfg.n_critic:
            return self._eager(g_step)
        if g_step not in self.graphs:
            self._capture(g_step)
        self.graphs[g_step].replay()
        return self.outputs[g_step]

    def _eager(self, g_step: bool) -> dict[str, torch.Tensor]:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            out = self.trainer.step_body(self.static_real, self.static_labels, g_step)
        torch.cuda.current_stream().wait_stream(side)
        self.eager_steps += 1
        return out

    def _capture(self, g_step: bool) -> None:
        graph = torch.cuda.CUDAGraph()
        torch.cuda.synchronize()
        # Each graph gets its own memory pool: D-only and D+G graphs replay in no fixed order.
        with torch.cuda.graph(graph):
            self.outputs[g_step] = self.trainer.step_body(self.static_real, self.static_labels, g_step)
        self.graphs[g_step] = graph

"""FID (and conditional accuracy) while a model trains; keeps `best/` by FID, not by generator loss.

`make_eval_hook(eval_every, eval_samples)` returns the Trainer hook
`hook(trainer, final)`: after every `eval_every`-th epoch (never, if 0) and
once at the end, it scores `eval_samples` digits from G_ema, appends a
`{"kind": "eval", ...}` record to metrics.jsonl, exports `best/` when FID
improves, and leaves the last figures in `trainer.final_metrics` for the
exported model's card.

It draws its noise from its own generator, the same for every evaluation (so
epochs are compared on the same latent points), and never touches the global
torch / NumPy / Python random state: exact resume depends on that.
"""

from __future__ import annotations

import json

import torch

from mnistgan.data import to_uint8
from mnistgan.nets import NUM_CLASSES

METRICS = ("fid", "cond_acc")
NOISE_SEED_OFFSET = 7_919  # the hook's noise must not repeat the training or sample-grid noise
BATCH = 500


@torch.no_grad()
def sample_digits(trainer, num: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 (num, 28, 28) on trainer.device, labels int64 (num,) on the CPU; -1 if unconditional)."""
    g = torch.Generator().manual_seed(trainer.cfg.seed + NOISE_SEED_OFFSET)
    z = torch.randn(num, trainer.cfg.latent_dim, generator=g)
    conditional = trainer.preset.conditional
    labels = torch.arange(num) % NUM_CLASSES if conditional else torch.full((num,), -1)
    was_training = trainer.G_ema.training
    trainer.G_ema.eval()
    out = []
    for s in range(0, num, BATCH):
        y = labels[s : s + BATCH].to(trainer.device) if conditional else None
        out.append(to_uint8(trainer.G_ema(z[s : s + BATCH].to(trainer.device), y).float()))
    trainer.G_ema.train(was_training)
    return torch.cat(out), labels


def evaluate_trainer(trainer, num: int) -> dict:
    """{"model": {fid, cond_acc}, "floor": {fid, cond_acc}, "num", "seed", "epoch", "step", "command"}."""
    from mnistgan.metrics.evaluation import real_floor, scalars, score

    images, labels = sample_digits(trainer, num)
    # Embedding needs no randomness; score()'s seed only picks subsets for metrics not computed here.
    result = score(images.cpu().numpy(), labels.numpy(), seed=trainer.cfg.seed, metrics=METRICS)
    floor = real_floor(num, seed=trainer.cfg.seed, metrics=METRICS)
    return {"model": scalars(result), "floor": scalars(floor), "num": num, "seed": trainer.cfg.seed,
            "epoch": trainer.epoch, "step": trainer.step,
            "source": f"{num} samples from G_ema during training (noise seed {trainer.cfg.seed} + {NOISE_SEED_OFFSET})",
            "command": trainer.runlog.command_line()}


def _previous_best(trainer) -> float:
    try:
        info = json.loads((trainer.run_dir / "best" / "info.json").read_text())
        return float(info["metrics"]["model"]["fid"])
    except (OSError, ValueError, KeyError, TypeError):
        return float("inf")


def make_eval_hook(eval_every: int, eval_samples: int):
    """The Trainer hook: evaluate every `eval_every` epochs (0: only at the end) and at the end of training."""
    state: dict = {}

    def hook(trainer, final: bool) -> None:
        if trainer.rank != 0:
            return
        due = final or (eval_every > 0 and trainer.epoch % eval_every == 0)
        if not due:
            return
        if state.get("step") == trainer.step and "metrics" in state:
            metrics = state["metrics"]  # this epoch's end was just evaluated: the end of training is the same model
        else:
            metrics = evaluate_trainer(trainer, min(max(eval_samples, 2), 60_000))
            state.update(step=trainer.step, metrics=metrics)
            model, floor = metrics["model"], metrics["floor"]
            trainer.runlog.append_metrics({"kind": "eval", "step": trainer.step, "epoch": trainer.epoch,
                                           "fid": model["fid"], "fid_floor": floor["fid"],
                                           "cond_acc": model["cond_acc"], "cond_acc_floor": floor["cond_acc"]})
            acc = "" if model["cond_acc"] is None else f", conditional accuracy {model['cond_acc']:.3f}"
            trainer.log(f"epoch {trainer.epoch}, step {trainer.step}: FID {model['fid']:.4g} "
                        f"(real digits: {floor['fid']:.4g}){acc}")
            if "best" not in state:
                state["best"] = _previous_best(trainer)
            if model["fid"] < state["best"]:
                from mnistgan.model_folder import export_model

                state["best"] = model["fid"]
                export_model(trainer.G_ema, trainer.run_dir / "best", {**trainer.training_summary(), "metrics": metrics})
        if final:
            trainer.final_metrics = metrics  # fit() redraws losses.png after the final hooks

    return hook

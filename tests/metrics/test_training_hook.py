"""FID during training: eval records, best/ by FID, metrics in the card, and no global RNG touched."""

import json
import random

import numpy as np
import torch

from mnistgan.metrics.training_hook import make_eval_hook
from mnistgan.session import build_trainer

TINY = dict(g_width=8, d_width=8, latent_dim=16, log_every=5, precision="fp32", device="cpu",
            train_subset=128, batch_size=32, eval_samples=300)


def test_eval_every_epoch_writes_records_best_and_card(tmp_path):
    trainer = build_trainer("cdcgan", None, {**TINY, "epochs": 2, "eval_every": 1}, tmp_path, None,
                            log=lambda m: None, progress=False)
    model_dir = trainer.fit()
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if r.get("kind") == "eval"]
    assert [r["epoch"] for r in evals] == [1, 2]  # the end of training reuses epoch 2's figures
    for r in evals:
        assert r["fid"] > r["fid_floor"] > 0 and 0 <= r["cond_acc"] <= 1 and r["cond_acc_floor"] > 0.95
    best = json.loads((tmp_path / "best" / "info.json").read_text())
    assert best["metrics"]["model"]["fid"] == min(r["fid"] for r in evals)
    info = json.loads((model_dir / "info.json").read_text())
    assert info["metrics"]["model"]["fid"] == evals[-1]["fid"] and info["metrics"]["num"] == 300
    assert "## Metrics" in (model_dir / "README.md").read_text()
    assert (tmp_path / "losses.png").exists()


def test_hook_leaves_the_global_random_state_alone(tmp_path):
    trainer = build_trainer("dcgan", None, {**TINY, "max_steps": 1}, tmp_path, None, log=lambda m: None, progress=False)
    trainer.hooks.clear()
    hook = make_eval_hook(0, 300)
    before = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    hook(trainer, final=False)  # not due: eval_every = 0
    assert not hasattr(trainer, "final_metrics")
    hook(trainer, final=True)
    after = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    assert torch.equal(before[0], after[0]) and (before[1] == after[1]).all() and before[2] == after[2]
    assert trainer.final_metrics["model"]["cond_acc"] is None  # dcgan is unconditional
    assert trainer.final_metrics["floor"]["fid"] > 0

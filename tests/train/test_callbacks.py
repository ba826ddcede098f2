"""Callbacks: evaluation records, best/ by FID, early stopping, curves; what they measure is returned, not planted."""

import json
import math
import random

import numpy as np
import torch

from mnistgan.train import callbacks as cb
from mnistgan.train.callbacks import EarlyStop, Evaluation
from mnistgan.train.rundir import RunDir
from mnistgan.train.session import build_trainer

TINY = dict(g_width=8, d_width=8, latent_dim=16, log_every=5, precision="fp32", device="cpu",
            train_subset=128, batch_size=32, eval_samples=300)


def test_eval_every_epoch_writes_records_best_and_card(tmp_path):
    trainer = build_trainer("cdcgan", None, {**TINY, "epochs": 2, "eval_every": 1}, tmp_path, None,
                            log=lambda m: None, progress=False)
    model_dir = trainer.fit()
    evals = RunDir(tmp_path).evaluations()
    assert [r["epoch"] for r in evals] == [1, 2]  # the end of training reuses epoch 2's figures
    for r in evals:
        assert r["fid"] > r["fid_floor"] > 0 and 0 <= r["cond_acc"] <= 1 and r["cond_acc_floor"] > 0.95
    best = json.loads((tmp_path / "best" / "info.json").read_text())
    assert best["metrics"]["model"]["fid"] == min(r["fid"] for r in evals)
    info = json.loads((model_dir / "info.json").read_text())
    assert info["metrics"]["model"]["fid"] == evals[-1]["fid"] and info["metrics"]["num"] == 300
    assert info["stopped_by"] == "finished"
    assert "## Metrics" in (model_dir / "README.md").read_text()
    assert (tmp_path / "losses.png").exists()


def test_evaluation_returns_its_record_and_leaves_the_global_random_state_alone(tmp_path):
    trainer = build_trainer("dcgan", None, {**TINY, "max_steps": 1}, tmp_path, None, log=lambda m: None, progress=False)
    evaluation = Evaluation(every=0, num=300)
    before = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    assert evaluation.on_epoch_end(trainer, {}) is None  # not due: every = 0
    record = evaluation.on_train_end(trainer, {})["eval"]
    after = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    assert torch.equal(before[0], after[0]) and (before[1] == after[1]).all() and before[2] == after[2]
    assert record["model"].get("cond_acc") is None  # dcgan is unconditional
    assert record["floor"]["fid"] > 0 and record["step"] == 0
    assert evaluation.on_train_end(trainer, {})["eval"] is record  # same step: not scored twice


def fake_eval(fid):
    return {"eval": {"model": {"fid": fid}}}


def test_early_stop_counts_evaluations_without_improvement():
    stopper = EarlyStop(patience=2)
    decisions = [stopper.on_epoch_end(None, fake_eval(fid)) for fid in (5.0, 4.0, 4.5, 3.9, 4.0, 4.2)]
    assert decisions[:5] == [None] * 5
    assert "not improved on 3.9 for 2 evaluations" in decisions[5]["stop"]
    assert stopper.on_epoch_end(None, {}) is None  # epochs without an evaluation do not count


def test_early_stop_ends_training_keeps_best_and_resume_continues_past_it(tmp_path, monkeypatch):
    fids = iter([3.0, 2.0, 2.5, 2.6, 2.7, 1.5])  # epochs 1..6: no improvement after epoch 2

    def scripted(self, trainer):  # the evaluation's figures, scripted so the stop is certain
        p = trainer.progress
        if self.last is not None and self.last["step"] == p.step:  # as the real one: the end reuses the last epoch's
            return self.last
        self.last = {"model": {"fid": next(fids), "cond_acc": None}, "floor": {"fid": 0.1}, "num": 2, "seed": 0,
                     "epoch": p.epoch, "step": p.step, "command": ""}
        return self.last

    monkeypatch.setattr(Evaluation, "evaluate", scripted)
    options = {**TINY, "epochs": 6, "eval_every": 1, "early_stop": 2}
    trainer = build_trainer("dcgan", None, options, tmp_path, None, log=lambda m: None, progress=False)
    model_dir = trainer.fit()
    assert trainer.progress.epoch == 4
    info = json.loads((model_dir / "info.json").read_text())
    assert info["stopped_by"] == "early_stop" and "early stop" in (model_dir / "README.md").read_text().lower()
    assert json.loads((tmp_path / "best" / "info.json").read_text())["metrics"]["model"]["fid"] == 2.0
    resumed = build_trainer(None, None, {"early_stop": 2}, None, tmp_path, log=lambda m: None, progress=False)
    resumed.fit()
    assert resumed.progress.epoch == 6  # past the early stop: fresh patience, and epoch 6 improved
    assert json.loads((tmp_path / "best" / "info.json").read_text())["metrics"]["model"]["fid"] == 1.5


def test_losses_png_is_redrawn_at_most_as_often_as_asked(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(cb, "plot_training_curves", lambda records, path: drawn.append(len(records)))
    trainer = build_trainer("dcgan", None, {**TINY, "max_steps": 1}, tmp_path, None, log=lambda m: None, progress=False)
    trainer.run.append_metrics({"step": 1, "loss_d": 1.0, "loss_g": 1.0})
    plot = cb.CurvePlot(at_most_every_s=30)
    plot.on_epoch_end(trainer, {})
    plot.on_epoch_end(trainer, {})  # within 30 s of the last redraw: skipped
    plot.on_train_end(trainer, {})  # the end of training: always
    assert drawn == [1, 1] and math.isfinite(plot.last)

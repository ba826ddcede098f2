"""The trainer on real MNIST with tiny models: every preset steps, resume is exact, checkpoints round-trip."""

import json

import numpy as np
import pytest
import torch

from mnistgan import checkpoint
from mnistgan.config import resolve
from mnistgan.errors import Interrupted, ModelFileError, TrainingDiverged
from mnistgan.presets import PRESETS
from mnistgan.sampling import Sampler
from mnistgan.session import build_trainer
from mnistgan.training import latest_checkpoint

TINY = dict(g_width=8, d_width=8, latent_dim=16, log_every=2, precision="fp32", device="cpu")


def train(tmp_path, preset, resume=False, **kw):
    overrides = kw if resume else {**TINY, **kw}
    trainer = build_trainer(preset if not resume else None, None, overrides, None if resume else tmp_path,
                            tmp_path if resume else None, log=lambda m: None, progress=False)
    return trainer, trainer.fit()


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_trains_and_exports_a_loadable_model(tmp_path, preset):
    trainer, model_dir = train(tmp_path, preset, max_steps=4, batch_size=32)
    assert trainer.step == 4
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    records = [r for r in records if r.get("kind") != "eval"]  # the end-of-training FID record
    assert {"loss_d", "loss_g", "d_real", "d_fake", "images_per_s"} <= set(records[-1])
    assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in records)
    s = Sampler.from_pretrained(model_dir)
    images, labels = s.sample(20, seed=1)
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8
    assert (labels == (np.arange(20) % 10 if PRESETS[preset].conditional else -1)).all()
    assert (tmp_path / "samples").is_dir() and (tmp_path / "losses.png").exists()
    info = json.loads((model_dir / "info.json").read_text())
    assert info["preset"] == preset and info["steps"] == 4


def final_weights(trainer):
    return {k: v.clone() for k, v in {**trainer.G.state_dict(), **{f"D.{k}": v for k, v in trainer.D.state_dict().items()}}.items()}


@pytest.mark.parametrize("preset", ["mlp-gan", "wgan-gp"])  # dropout RNG; n_critic + gradient penalty
def test_resume_mid_epoch_equals_an_uninterrupted_run(tmp_path, preset):
    full, _ = train(tmp_path / "full", preset, max_steps=6, batch_size=64)
    part, _ = train(tmp_path / "part", preset, max_steps=3, batch_size=64)
    resumed, _ = train(tmp_path / "part", preset, resume=True, max_steps=6)
    assert resumed.step == 6
    a, b = final_weights(full), final_weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    for x, y in zip(full.G_ema.parameters(), resumed.G_ema.parameters()):
        assert torch.equal(x, y)


def test_resume_across_an_epoch_boundary_equals_an_uninterrupted_run(tmp_path):
    # 640 digits in batches of 64: 10 steps per epoch, so two epochs stay cheap
    small = dict(train_subset=640, batch_size=64)
    full, _ = train(tmp_path / "full", "dcgan", epochs=2, **small)
    train(tmp_path / "part", "dcgan", epochs=1, **small)
    resumed, _ = train(tmp_path / "part", "dcgan", resume=True, epochs=2)
    assert resumed.epoch == full.epoch == 2 and resumed.step == full.step == 20
    for k, v in final_weights(full).items():
        assert torch.equal(v, final_weights(resumed)[k]), k
    assert sorted(p.name for p in (tmp_path / "part" / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]


def test_linear_lr_decay_falls_to_zero_and_resumes_exactly(tmp_path):
    small = dict(train_subset=640, batch_size=64, epochs=1, lr_decay="linear")  # 10 steps
    full, _ = train(tmp_path / "full", "dcgan", **small)
    for opt, lr in ((full.opt_g, full.cfg.lr_g), (full.opt_d, full.cfg.lr_d)):
        assert opt.param_groups[0]["lr"] == pytest.approx(lr / 10)  # the 10th step ran at lr * (1 - 9/10)
    part = build_trainer("dcgan", None, {**TINY, **small}, tmp_path / "part", None, log=lambda m: None, progress=False)
    step = part.train_batch

    def stop_after_four(*args):  # as Ctrl-C would, mid-run: same planned length, so the same schedule
        out = step(*args)
        part._stop_requested = part.d_steps == 4
        return out

    part.train_batch = stop_after_four
    with pytest.raises(Interrupted):
        part.fit()
    resumed, _ = train(tmp_path / "part", None, resume=True)
    assert resumed.step == full.step == 10
    for k, v in final_weights(full).items():
        assert torch.equal(v, final_weights(resumed)[k]), k


def test_checkpoint_round_trip_restores_everything(tmp_path):
    trainer, _ = train(tmp_path, "cdcgan", max_steps=3, batch_size=32)
    tensors, meta, path = latest_checkpoint(tmp_path)
    fresh = build_trainer("cdcgan", None, {**TINY, "batch_size": 32, "max_steps": 3}, tmp_path / "other", None,
                          log=lambda m: None, progress=False)
    fresh.load_state(tensors, meta, path)
    assert fresh.step == 3 and fresh.d_steps == 3
    for name in ("G", "D", "G_ema"):
        for (k, a), b in zip(getattr(trainer, name).state_dict().items(), getattr(fresh, name).state_dict().values()):
            assert torch.equal(a, b), (name, k)
    assert fresh.opt_g.state_dict()["state"][0]["exp_avg"].equal(trainer.opt_g.state_dict()["state"][0]["exp_avg"])
    assert torch.equal(fresh.fixed_z, trainer.fixed_z)


def test_checkpoints_are_safetensors_without_pickle(tmp_path):
    train(tmp_path, "dcgan", max_steps=2, batch_size=32)
    (path,) = checkpoint.list_checkpoints(tmp_path / "checkpoints")
    assert path.read_bytes()[8:9] == b"{"  # safetensors: u64 header length, then a JSON header
    assert b"\x80\x04" not in path.read_bytes()[:64]  # no pickle protocol marker up front


@pytest.mark.bad_input("file")
def test_truncated_checkpoint_is_named_in_the_error(tmp_path):
    train(tmp_path, "dcgan", max_steps=2, batch_size=32)
    (path,) = checkpoint.list_checkpoints(tmp_path / "checkpoints")
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ModelFileError, match=str(path)):
        latest_checkpoint(tmp_path, log=lambda m: None)


def test_divergence_stops_with_a_clear_message_and_keeps_the_checkpoint(tmp_path):
    train(tmp_path, "mlp-gan", max_steps=2, batch_size=32)
    good = checkpoint.list_checkpoints(tmp_path / "checkpoints")
    trainer = build_trainer(None, None, {"max_steps": 40}, None, tmp_path, log=lambda m: None, progress=False)
    with torch.no_grad():  # poison G: its output becomes NaN, so both losses do
        next(trainer.G.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="NaN or infinite.*last good checkpoint is kept"):
        trainer.fit()
    assert checkpoint.list_checkpoints(tmp_path / "checkpoints") == good


def test_config_resolution_order(tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"preset": "dcgan", "lr_g": 0.001, "batch_size": 32}))
    cfg = resolve(None, f, batch_size=16)
    assert (cfg.preset, cfg.lr_g, cfg.batch_size, cfg.label_smoothing) == ("dcgan", 0.001, 16, 0.9)


def test_fit_s_indexed_step_trains_what_train_step_trains(tmp_path):
    # fit() steps through train_batch (indices; on CUDA the gather is captured in the graph);
    # callers holding tensors use train_step. Same batches, same seed: the same weights.
    from mnistgan.data import DeviceBatches, load_mnist

    test = load_mnist("test")
    trained = []
    for via_indices in (True, False):
        trainer = build_trainer("mlp-gan", None, {**TINY, "batch_size": 32}, tmp_path / str(via_indices), None,
                                log=lambda m: None, progress=False)
        batches = DeviceBatches(test, 32, torch.Generator().manual_seed(0))
        for _, idx in zip(range(3), batches.epoch_indices()):
            if via_indices:
                trainer.train_batch(batches, idx)
            else:
                trainer.train_step(*batches.gather(idx))
        trained.append(final_weights(trainer))
    assert trained[0].keys() == trained[1].keys()
    for k in trained[0]:
        assert torch.equal(trained[0][k], trained[1][k]), k


def test_losses_png_is_redrawn_at_most_as_often_as_asked(tmp_path, monkeypatch):
    from mnistgan import plots
    from mnistgan.runlog import RunLog

    drawn = []
    monkeypatch.setattr(plots, "plot_training_curves", lambda records, path: drawn.append(len(records)))
    log = RunLog(tmp_path)
    log.append_metrics({"step": 1, "loss_d": 1.0, "loss_g": 1.0})
    log.plot(at_most_every_s=30)
    log.plot(at_most_every_s=30)  # within 30 s of the last redraw: skipped
    log.plot()  # the end of training: always
    assert drawn == [1, 1]

"""The training loop on real MNIST with tiny models: every preset trains, resume is exact, every stop leaves a model."""

import json

import numpy as np
import pytest
import torch

from mnistgan.errors import Interrupted, TrainingDiverged
from mnistgan.presets import PRESETS
from mnistgan.sampling import Sampler
from mnistgan.train.rundir import RunDir
from mnistgan.train.session import build_trainer

TINY = dict(g_width=8, d_width=8, latent_dim=16, log_every=2, precision="fp32", device="cpu", eval_samples=200)


def train(tmp_path, preset, resume=False, **kw):
    overrides = kw if resume else {**TINY, **kw}
    trainer = build_trainer(preset if not resume else None, None, overrides, None if resume else tmp_path,
                            tmp_path if resume else None, log=lambda m: None, progress=False)
    return trainer, trainer.fit()


def final_weights(trainer):
    gan = trainer.gan
    return {**{f"G.{k}": v.clone() for k, v in gan.G.state_dict().items()},
            **{f"D.{k}": v.clone() for k, v in gan.D.state_dict().items()},
            **{f"G_ema.{k}": v.clone() for k, v in gan.G_ema.state_dict().items()}}


def assert_same_weights(a, b):
    a, b = final_weights(a), final_weights(b)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_trains_and_exports_a_loadable_model(tmp_path, preset):
    trainer, model_dir = train(tmp_path, preset, max_steps=4, batch_size=32)
    assert trainer.progress.step == 4
    records = [r for r in RunDir(tmp_path).read_metrics() if r.get("kind") != "eval"]
    assert {"loss_d", "loss_g", "d_real", "d_fake", "images_per_s"} <= set(records[-1])
    assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in records)
    s = Sampler.from_pretrained(model_dir)
    images, labels = s.sample(20, seed=1)
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8
    assert (labels == (np.arange(20) % 10 if PRESETS[preset].conditional else -1)).all()
    assert (tmp_path / "samples").is_dir() and (tmp_path / "losses.png").exists()
    info = json.loads((model_dir / "info.json").read_text())
    assert info["preset"] == preset and info["steps"] == 4 and info["stopped_by"] == "max_steps"
    assert (model_dir / "losses.png").is_file()  # the run's curves travel with the model
    assert "## Architecture" in (model_dir / "README.md").read_text()


# dropout RNG; n_critic + gradient penalty; noise inputs + style mixing; R1/R2 + cosine schedules
@pytest.mark.parametrize("preset", ["mlp-gan", "wgan-gp", "stylegan", "r3gan"])
def test_resume_mid_epoch_equals_an_uninterrupted_run(tmp_path, preset):
    # A schedule spans the planned run, which --max-steps changes: the Ctrl-C tests below cover schedules.
    plain = dict(lr_decay="none", batch_size=64, **({"n_critic": 3} if preset == "wgan-gp" else {}))
    full, _ = train(tmp_path / "full", preset, max_steps=6, **plain)
    train(tmp_path / "part", preset, max_steps=3, **plain)
    resumed, _ = train(tmp_path / "part", preset, resume=True, max_steps=6)
    assert resumed.progress.step == 6
    assert_same_weights(full, resumed)


@pytest.mark.parametrize("preset", ["dcgan", "cdcgan", "hinge-sn"])  # BatchNorm; label norm + AC-GAN; spectral norm
def test_resume_across_an_epoch_boundary_equals_an_uninterrupted_run(tmp_path, preset):
    # 640 digits in batches of 64: 10 steps per epoch, so two epochs stay cheap
    small = dict(train_subset=640, batch_size=64)
    full, _ = train(tmp_path / "full", preset, epochs=2, **small)
    train(tmp_path / "part", preset, epochs=1, **small)
    resumed, _ = train(tmp_path / "part", preset, resume=True, epochs=2)
    assert resumed.progress.epoch == full.progress.epoch == 2 and resumed.progress.step == full.progress.step == 20
    assert_same_weights(full, resumed)
    assert RunDir(tmp_path / "part").sample_epochs() == [1, 2]
    assert sorted(p.name for p in (tmp_path / "part" / "samples").glob("*.png")) == ["epoch_001.png", "epoch_002.png"]


def stop_at(trainer, d_steps: int):
    """Raise the Ctrl-C flag once `d_steps` discriminator steps are done, as SIGINT would."""
    step = trainer.train_batch

    def step_then_maybe_stop(*args):
        out = step(*args)
        trainer.stop.seen = trainer.progress.d_steps >= d_steps
        return out

    trainer.train_batch = step_then_maybe_stop


def full_and_resumed_after_ctrl_c(tmp_path, preset: str, options: dict, stop_after: int):
    """One run straight through, and the same run stopped by Ctrl-C after `stop_after` D steps, then resumed."""
    full, _ = train(tmp_path / "full", preset, **options)
    part = build_trainer(preset, None, {**TINY, **options}, tmp_path / "part", None, log=lambda m: None, progress=False)
    stop_at(part, stop_after)
    with pytest.raises(Interrupted):
        part.fit()
    resumed, _ = train(tmp_path / "part", None, resume=True)
    assert resumed.progress.step == full.progress.step
    assert_same_weights(full, resumed)
    return full


def test_linear_lr_decay_falls_to_zero_and_resumes_exactly_after_ctrl_c(tmp_path):
    small = dict(train_subset=640, batch_size=64, epochs=1, lr_decay="linear")  # 10 steps
    full = full_and_resumed_after_ctrl_c(tmp_path, "dcgan", small, stop_after=4)
    step = full.step_fn
    for opt, lr in ((step.opt_g, full.cfg.lr_g), (step.opt_d, full.cfg.lr_d)):
        assert opt.param_groups[0]["lr"] == pytest.approx(lr / 10)  # the 10th step ran at lr * (1 - 9/10)


def test_r3gan_s_cosine_schedules_and_lazy_penalties_resume_exactly_after_ctrl_c(tmp_path):
    small = dict(train_subset=640, batch_size=64, epochs=1, reg_every=3)  # 10 steps, penalties on 0, 3, 6, 9
    full = full_and_resumed_after_ctrl_c(tmp_path, "r3gan", small, stop_after=5)
    group = full.step_fn.opt_d.param_groups[0]
    assert group["lr"] < full.cfg.lr_d and group["betas"][1] > full.cfg.beta2  # the schedules moved both


def test_ctrl_c_exports_the_model_as_of_that_step(tmp_path):
    trainer = build_trainer("cdcgan", None, {**TINY, "train_subset": 640, "batch_size": 64}, tmp_path, None,
                            log=lambda m: None, progress=False)
    stop_at(trainer, 3)
    with pytest.raises(Interrupted):
        trainer.fit()
    run = RunDir(tmp_path)
    info = json.loads((run.model_dir / "info.json").read_text())
    assert info["steps"] == 3 and info["stopped_by"] == "interrupted" and info["metrics"] is None
    images, _ = Sampler.from_pretrained(tmp_path).sample(10, seed=0)  # the run directory itself is enough
    expected = Sampler(trainer.gan.G_ema).sample(10, seed=0)[0]
    assert np.array_equal(images, expected)
    assert [p.name for p in run.checkpoints()] == ["ckpt-000000003.safetensors"]


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
        trained.append(trainer)
    assert_same_weights(*trained)


def test_divergence_stops_with_a_clear_message_and_keeps_the_checkpoint(tmp_path):
    train(tmp_path, "mlp-gan", max_steps=2, batch_size=32)
    good = RunDir(tmp_path).checkpoints()
    trainer = build_trainer(None, None, {"max_steps": 40}, None, tmp_path, log=lambda m: None, progress=False)
    with torch.no_grad():  # poison G: its output becomes NaN, so both losses do
        next(trainer.gan.G.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="NaN or infinite.*last good checkpoint is kept"):
        trainer.fit()
    assert RunDir(tmp_path).checkpoints() == good

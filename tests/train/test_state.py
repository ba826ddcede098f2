"""Checkpoints: everything a resume needs, in safetensors, named in any error."""

import pytest
import torch

from mnistgan.errors import ModelFileError
from mnistgan.train.rundir import RunDir
from mnistgan.train.session import build_trainer
from mnistgan.train.state import latest_checkpoint, restore
from tests.train.test_loop import TINY, train


def test_checkpoint_round_trip_restores_everything(tmp_path):
    trainer, _ = train(tmp_path, "cdcgan", max_steps=3, batch_size=32)
    tensors, meta, path = latest_checkpoint(RunDir(tmp_path))
    fresh = build_trainer("cdcgan", None, {**TINY, "batch_size": 32, "max_steps": 3}, tmp_path / "other", None,
                          log=lambda m: None, progress=False)
    restore(fresh, tensors, meta, path)
    assert fresh.progress == trainer.progress
    for name in ("G", "D", "G_ema"):
        ours, theirs = getattr(trainer.gan, name).state_dict(), getattr(fresh.gan, name).state_dict()
        for k in ours:
            assert torch.equal(ours[k], theirs[k]), (name, k)
    assert fresh.step_fn.opt_g.state_dict()["state"][0]["exp_avg"].equal(
        trainer.step_fn.opt_g.state_dict()["state"][0]["exp_avg"])
    assert torch.equal(fresh.fixed_z, trainer.fixed_z) and fresh.step_fn.g_steps == 3


def test_checkpoints_are_safetensors_without_pickle_named_by_generator_step(tmp_path):
    train(tmp_path, "wgan-gp", max_steps=2, batch_size=32, n_critic=5)  # 5 critic steps per generator step
    (path,) = RunDir(tmp_path).checkpoints()
    assert path.name == "ckpt-000000002.safetensors"
    assert path.read_bytes()[8:9] == b"{"  # safetensors: u64 header length, then a JSON header
    assert b"\x80\x04" not in path.read_bytes()[:64]  # no pickle protocol marker up front


@pytest.mark.bad_input("file")
def test_truncated_checkpoint_is_named_in_the_error(tmp_path):
    train(tmp_path, "dcgan", max_steps=2, batch_size=32)
    (path,) = RunDir(tmp_path).checkpoints()
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ModelFileError, match=str(path)):
        latest_checkpoint(RunDir(tmp_path), log=lambda m: None)

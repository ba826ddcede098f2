"""Multi-process training (train/ddp.py): two ranks on the gloo backend train like one process.

The math: with K ranks of batch B, averaged gradients, BatchNorm statistics over
the global batch and each rank taking its rows of the global batch's noise, a
step is the step one process takes on batch K*B (the same permutation, the same
digits, the same noise, the same mean loss). So after the same number of steps
every tensor -- G, D, G_ema, Adam's moments -- must match a single process on the
doubled batch up to float32 summation order.

The preset is chosen so nothing else differs: no dropout (mlp-gan's D draws
its masks per rank, the same distribution but not the same numbers as one
process), no WGAN-GP (its interpolation weights are drawn per rank likewise).
dcgan is the hardest case left: BatchNorm in G *and* in D, which sees real and
fake digits in separate passes. (hinge-sn -- spectral norm, label planes, a fused
D pass, minibatch-std over groups of 4 consecutive samples, the same groups in
both runs when B divides by 4 -- matches the same way; it is left out to keep
the suite short.) Each rank logs the losses of its own half batch, so the
trajectories are compared through the weights they lead to, which every loss
along the way shapes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from mnistgan.train.rundir import RunDir

REPO = Path(__file__).resolve().parents[1]
TINY = {"g_width": 8, "d_width": 8, "latent_dim": 16, "eval_samples": 100, "precision": "fp32", "device": "cpu",
        "log_every": 1}
SUBSET = ["--train-subset", "128", "--epochs", "2", "--no-progress"]  # 128 = 4 global batches of 2 x 16


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def train_one_process(preset: str, out: Path, max_steps: int) -> None:
    """The reference: one process, batch 32, in this test process (no start-up cost)."""
    from mnistgan.train.session import run_training

    run_training(preset, None, {**TINY, "train_subset": 128, "epochs": 2, "batch_size": 32, "max_steps": max_steps},
                 out, None, log=lambda m: None, progress=False)


def last_checkpoint(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(RunDir(run_dir).checkpoints()[-1])


def assert_same_state(a: dict, b: dict) -> None:
    weights = [k for k in a if a[k].is_floating_point() and not k.startswith("rng.")]
    assert weights and set(weights) <= set(b)
    for k in weights:
        torch.testing.assert_close(a[k], b[k], rtol=1e-3, atol=1e-4, msg=lambda m, k=k: f"{k}: {m}")


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY))
    return path


def test_two_ranks_match_one_process_on_the_doubled_batch_with_resume(tmp_path, config_file):
    """dcgan: `train --nproc 2` stopped mid-epoch, resumed under `torchrun`, equals one process at batch 32."""
    two, one = tmp_path / "two", tmp_path / "one"
    common = ["--preset", "dcgan", "--config", str(config_file), *SUBSET]
    first = run("-m", "mnistgan", "train", *common, "--batch-size", "16", "--max-steps", "6", "--nproc", "2",
                "--out", str(two))
    assert "2 processes, global batch 2 x 16" in first.stderr
    assert first.stdout.count("done in") == 1  # rank 1 prints nothing of its own
    resumed = run("-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "mnistgan", "train",
                  "--resume", str(two), "--max-steps", "8", "--no-progress")
    assert "from ckpt-000000006" in resumed.stderr  # mid-epoch 2: 4 steps per epoch
    train_one_process("dcgan", one, max_steps=8)

    a, b = last_checkpoint(two), last_checkpoint(one)
    assert_same_state(a, b)
    # Not equal by accident: since the first epoch's end the weights moved far more than the tolerance.
    epoch1 = load_file(RunDir(two).checkpoints()[0])
    moved = max((b[k] - epoch1[k]).abs().max().item() for k in b if k.startswith(("G.", "D.")) and b[k].is_floating_point())
    assert moved > 1e-2

    # Only rank 0 wrote: one loss record per step across both sessions, one model, samples per epoch.
    records = [json.loads(line) for line in (two / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss_d" in r] == list(range(1, 9))
    assert (two / "model" / "model.safetensors").exists() and (two / "samples" / "epoch_001.png").exists()


def test_global_batch_norm_is_batch_norm_on_one_rank(tmp_path):
    """GlobalBatchNorm's forward, backward and running statistics equal BatchNorm's (a 1-process gloo group)."""
    import torch.distributed as dist
    from torch import nn

    from mnistgan.train.ddp import all_reduce_mean_, use_global_batch_norm

    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1)
    try:
        torch.manual_seed(0)
        for bn, shape in ((nn.BatchNorm2d(3), (8, 3, 5, 5)), (nn.BatchNorm1d(4, momentum=None), (6, 4))):
            ref = nn.Sequential(nn.Identity(), bn)
            glob = nn.Sequential(nn.Identity(), type(bn)(bn.num_features, momentum=bn.momentum))
            glob.load_state_dict(ref.state_dict())
            assert use_global_batch_norm(glob) == 1 and "Global" in type(glob[1]).__name__
            for _ in range(2):
                x = (torch.randn(shape) * 3 + 1).requires_grad_(True)
                x2 = x.detach().clone().requires_grad_(True)
                w = torch.randn(shape)
                (ref(x) * w).sum().backward()
                (glob(x2) * w).sum().backward()
                torch.testing.assert_close(x2.grad, x.grad, rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(glob.state_dict(), ref.state_dict(), rtol=1e-4, atol=1e-5)
            glob.eval(), ref.eval()
            torch.testing.assert_close(glob(x2), ref(x))
        grads = [torch.ones(3), torch.full((2, 2), 4.0)]
        all_reduce_mean_(grads)
        assert grads[1].eq(4).all()
    finally:
        dist.destroy_process_group()

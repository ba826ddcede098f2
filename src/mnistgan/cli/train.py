"""`mnistgan train` and `mnistgan presets`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.console import console, log


@app.command("train")
def train(
    ctx: typer.Context,
    preset: Optional[str] = typer.Option(None, "--preset", help="Model recipe; `mnistgan presets` lists them. Default: cdcgan."),
    config: Optional[Path] = typer.Option(None, "--config", help="JSON file of training options (e.g. from `mnistgan tune`)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Passes over the 60,000 training digits."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop after this many generator steps."),
    max_seconds: Optional[float] = typer.Option(None, "--max-seconds", help="Stop after this much training time (seconds, over resumes); the model is exported as of then."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size"),
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate of both G and D."),
    lr_g: Optional[float] = typer.Option(None, "--lr-g", help="Generator learning rate (overrides --lr)."),
    lr_d: Optional[float] = typer.Option(None, "--lr-d", help="Discriminator learning rate (overrides --lr)."),
    lr_decay: Optional[str] = typer.Option(None, "--lr-decay", help="none, linear or cosine: the learning rates (and, where set, the R1/R2 weight and beta2) move to their final values over the run."),
    lr_final: Optional[float] = typer.Option(None, "--lr-final", help="With --lr-decay: final learning rates as a fraction of the start ones (default 0)."),
    r1_gamma: Optional[float] = typer.Option(None, "--r1-gamma", help="Weight of the R1 penalty on real digits (0: off)."),
    r2_gamma: Optional[float] = typer.Option(None, "--r2-gamma", help="Weight of the R2 penalty on generated digits (0: off)."),
    reg_every: Optional[int] = typer.Option(None, "--reg-every", help="Apply R1/R2 on every Nth discriminator step, at N times the weight (lazy regularization)."),
    beta1: Optional[float] = typer.Option(None, "--beta1"),
    beta2: Optional[float] = typer.Option(None, "--beta2"),
    latent_dim: Optional[int] = typer.Option(None, "--latent-dim"),
    seed: Optional[int] = typer.Option(None, "--seed"),
    device: Optional[str] = typer.Option(None, "--device", help="auto (cuda, mps, cpu), cpu, cuda, cuda:N, mps."),
    precision: Optional[str] = typer.Option(None, "--precision", help="auto, fp32, tf32, bf16 or fp16 (auto: tf32 on NVIDIA GPUs from Ampere on, bf16 on CPUs that have it)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run directory. Default: runs/<preset>-<timestamp>."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue the run in this directory exactly where it stopped."),
    checkpoint_every: Optional[int] = typer.Option(None, "--checkpoint-every", help="Epochs between checkpoints."),
    sample_every: Optional[int] = typer.Option(None, "--sample-every", help="Epochs between sample grids."),
    eval_every: Optional[int] = typer.Option(None, "--eval-every", help="Epochs between FID evaluations (0: at the end only)."),
    log_every: Optional[int] = typer.Option(None, "--log-every", help="Steps between metrics.jsonl records."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Directory with the MNIST IDX files."),
    g_width: Optional[int] = typer.Option(None, "--g-width", help="Generator width (channels or units)."),
    d_width: Optional[int] = typer.Option(None, "--d-width", help="Discriminator width."),
    cuda_graphs: Optional[str] = typer.Option(None, "--cuda-graphs", help="auto, on or off: replay whole training steps as CUDA graphs (auto: on for CUDA)."),
    train_subset: Optional[int] = typer.Option(None, "--train-subset", help="Train on the first N training digits (quick experiments)."),
    early_stop: Optional[int] = typer.Option(None, "--early-stop", help="Stop when this many evaluations in a row (see --eval-every) have not lowered the FID; best/ keeps the best model."),
    log_to: Optional[str] = typer.Option(None, "--log-to", help="none or tensorboard: also write losses, D(x)/D(G(z)), images/s, FID, accuracy and the sample grids as TensorBoard events in RUN/tensorboard/."),
    no_progress: bool = typer.Option(False, "--no-progress", help="Hide the progress bar."),
    nproc: Optional[int] = typer.Option(None, "--nproc", min=1, help="Train on this many local processes (DistributedDataParallel through torchrun; --batch-size is per process)."),
) -> None:
    """Train a GAN on real MNIST; writes checkpoints, samples, metrics and an exported model/."""
    from mnistgan.train import ddp  # torch is imported only when training, so `--help` stays quick

    if nproc and nproc > 1 and ddp.torchrun_env() is None:
        raise SystemExit(ddp.launch(nproc, ["train", *ddp.command_args(ctx)]))

    overrides = dict(epochs=epochs, max_steps=max_steps, max_seconds=max_seconds, batch_size=batch_size, lr_g=lr_g or lr, lr_d=lr_d or lr,
                     beta1=beta1, beta2=beta2, latent_dim=latent_dim, seed=seed, device=device, precision=precision,
                     checkpoint_every=checkpoint_every, sample_every=sample_every, eval_every=eval_every,
                     log_every=log_every, data_dir=str(data_dir) if data_dir else None, g_width=g_width, d_width=d_width,
                     train_subset=train_subset, cuda_graphs=cuda_graphs, lr_decay=lr_decay, early_stop=early_stop,
                     lr_final=lr_final, r1_gamma=r1_gamma, r2_gamma=r2_gamma, reg_every=reg_every, log_to=log_to)
    start = time.perf_counter()
    model_dir = ddp.run_training(preset, config, overrides, out, resume, log=log, progress=not no_progress)
    if not ddp.is_rank_zero():
        return
    console.print(f"done in {time.perf_counter() - start:.0f}s; model exported to {model_dir}")
    console.print(f"generate with: mnistgan generate --model {model_dir} --num 64 --out samples.png")


@app.command("presets")
def presets(
    summary: Optional[str] = typer.Option(None, "--summary", metavar="NAME",
                                          help="Print this preset's architecture: each layer of G and D with its output shape and parameters."),
) -> None:
    """List the model presets with their parameter counts and training defaults."""
    from rich.table import Table

    from mnistgan.nets import count_parameters
    from mnistgan.nets.summary import as_text, summarize_gan
    from mnistgan.presets import DEFAULT_PRESET, PRESETS, discriminator_for, generator_for, get_preset

    if summary is not None:
        p = get_preset(summary)
        d = p.defaults
        console.print(as_text(summarize_gan(generator_for(p, d["latent_dim"], d["g_width"]),
                                            discriminator_for(p, d["d_width"]))), highlight=False)
        return
    table = Table(title=f"Presets (default: {DEFAULT_PRESET})")
    for col in ("preset", "objective", "conditional", "G params", "D params", "defaults", "description"):
        table.add_column(col)
    for p in PRESETS.values():
        d = p.defaults
        g = count_parameters(generator_for(p, d["latent_dim"], d["g_width"]))
        dd = count_parameters(discriminator_for(p, d["d_width"]))
        defaults = ", ".join(f"{k}={v}" for k, v in d.items() if k not in ("g_width", "d_width"))
        table.add_row(p.name, p.objective, "yes" if p.conditional else "no", f"{g:,}", f"{dd:,}", defaults, p.description)
    console.print(table)

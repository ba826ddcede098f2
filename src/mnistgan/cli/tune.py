"""`mnistgan tune`: an Optuna sweep scored by FID, on one machine or many sharing a study."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mnistgan.cli import app
from mnistgan.errors import Interrupted
from mnistgan.console import console, log


@app.command("tune")
def tune(
    preset: str = typer.Option(..., "--preset", help="Preset whose search space to explore (`mnistgan presets`)."),
    trials: int = typer.Option(..., "--trials", min=1, help="Finished (completed or pruned) trials the study should hold, over all workers and runs."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0, help="Seconds after which this worker starts no new trial."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Optuna RDB URL shared by workers, e.g. postgresql+psycopg2://user:pw@host/db. Default: SQLite file study.db in --out."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name (default: the preset's name). Workers with the same --storage and --study share trials."),
    epochs_per_trial: int = typer.Option(3, "--epochs-per-trial", min=1, help="Epochs each trial trains; the score is taken after every epoch (pruning) and at the end."),
    out: Optional[Path] = typer.Option(None, "--out", help="Sweep directory: study.db, trials/, best_config.json, plots. Default: runs/tune-<preset>."),
    eval_samples: int = typer.Option(2000, "--eval-samples", min=2, max=60_000, help="Digits per FID evaluation."),
    pruner: str = typer.Option("median", "--pruner", help="median, hyperband or none: stops hopeless trials on their per-epoch score."),
    train_subset: Optional[int] = typer.Option(None, "--train-subset", help="Train each trial on the first N training digits (quick sweeps)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Fix the batch size instead of searching it."),
    latent_dim: Optional[int] = typer.Option(None, "--latent-dim", help="Fix the latent size instead of searching it."),
    g_width: Optional[int] = typer.Option(None, "--g-width", help="Generator width (default: the preset's)."),
    d_width: Optional[int] = typer.Option(None, "--d-width", help="Discriminator width (default: the preset's)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Training seed of every trial."),
    device: Optional[str] = typer.Option(None, "--device", help="auto (cuda, mps, cpu), cpu, cuda, cuda:N, mps."),
    precision: Optional[str] = typer.Option(None, "--precision", help="auto, fp32, tf32, bf16 or fp16."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Directory with the MNIST IDX files."),
    log_to: Optional[str] = typer.Option(None, "--log-to", help="none or tensorboard: every trial also writes TensorBoard events (trials/NAME/tensorboard/; `tensorboard --logdir OUT/trials` compares them)."),
) -> None:
    """Search a preset's hyperparameters with Optuna; writes the best config as a file for `mnistgan train --config`."""
    from mnistgan import tuning

    fixed = dict(train_subset=train_subset, batch_size=batch_size, latent_dim=latent_dim, g_width=g_width,
                 d_width=d_width, seed=seed, device=device, precision=precision,
                 data_dir=str(data_dir) if data_dir else None, log_to=log_to)
    settings = tuning.SweepSettings(preset=preset, trials=trials, out=out or Path("runs") / f"tune-{preset}",
                                    storage=storage, study=study, epochs_per_trial=epochs_per_trial,
                                    eval_samples=eval_samples, timeout=timeout, pruner=pruner, fixed=fixed)
    interrupted = False
    try:
        study_obj = tuning.run_sweep(settings, log=log)
    except (KeyboardInterrupt, Interrupted):  # Ctrl-C between trials, or inside one (Trainer saved it)
        interrupted = True
        log("interrupted: finished trials are kept in the study; run the same command again to continue")
        study_obj = tuning.open_study(settings)
    console.print(tuning.summary_table(study_obj, settings))
    written = tuning.export_results(study_obj, settings, log=log)
    for path in written.values():
        console.print(f"wrote {path}", highlight=False)
    if "config" in written:
        console.print(f"train it with: mnistgan train --config {written['config']}", highlight=False)
    if interrupted:
        log("error: interrupted")
        raise SystemExit(130)

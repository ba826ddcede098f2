"""`mnistgan models` (list), `mnistgan models add RUN_DIR --name NAME` and `models push NAME --repo USER/REPO`."""

from __future__ import annotations

from pathlib import Path

import typer

from mnistgan.cli import app
from mnistgan.console import console

models_app = typer.Typer(help="List, register and push models (bundled and your own in $MNISTGAN_HOME).",
                         invoke_without_command=True)
app.add_typer(models_app, name="models")


def _size(path: Path) -> str:
    total = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    return f"{total / 1e6:.1f} MB"


def _headline(info: dict) -> str:
    m = (info.get("metrics") or {}).get("model") or {}
    parts = [f"FID {m['fid']:.2f}" if "fid" in m else None,
             f"cond. acc {m['cond_acc']:.1%}" if m.get("cond_acc") is not None else None]
    return ", ".join(p for p in parts if p) or "not evaluated"


@models_app.callback()
def list_models(ctx: typer.Context) -> None:
    """List every model with its version, preset, metrics and size."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from mnistgan import registry
    from mnistgan.model_folder import read_info

    refs = registry.all_models()
    table = Table(title=f"Models (yours live in {registry.user_models()})")
    for col in ("name", "version", "source", "preset", "metrics", "size", "path"):
        table.add_column(col)
    for ref in refs:
        info = read_info(ref.path)
        default = " (default)" if ref.name == registry.DEFAULT_MODEL else ""
        table.add_row(ref.name + default, str(ref.version), "bundled" if ref.bundled else "yours",
                      info.get("preset", "?"), _headline(info), _size(ref.path), str(ref.path))
    console.print(table if refs else "no models yet: train one with `mnistgan train`, then `mnistgan models add RUN_DIR --name NAME`")


@models_app.command("add")
def add(
    run_dir: Path = typer.Argument(..., help="A run directory (its model/ is registered) or a model folder."),
    name: str = typer.Option(..., "--name", help="Registry name; a new version is made when it exists."),
) -> None:
    """Register a run's exported model under NAME (never overwrites: a new version instead)."""
    from mnistgan import registry

    ref = registry.add(run_dir, name)
    console.print(f"registered {ref.id} at {ref.path}; use it with --model {ref.name} (or {ref.id})")


@models_app.command("push")
def push(
    model: str = typer.Argument(..., help="Registry name: NAME (its newest version) or NAME@VERSION."),
    repo: str = typer.Option(..., "--repo", help="Hub model repo USER/REPO; created if it does not exist."),
    private: bool = typer.Option(False, "--private",
                                 help="Create the repo private (an existing repo keeps its visibility)."),
) -> None:
    """Upload a registered model folder to the Hugging Face Hub (token from `hf auth login` or HF_TOKEN)."""
    from mnistgan import hub, registry

    ref = registry.lookup(model)
    pushed = hub.push(ref.path, repo, message=f"Upload {ref.id} with mnistgan", private=private)
    console.print(f"pushed {ref.id} to {pushed.url} (commit {pushed.commit}); use it with --model hf:{repo} "
                  f"(or, pinned to this commit, hf:{repo}@{pushed.commit})", soft_wrap=True, highlight=False)

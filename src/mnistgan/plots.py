"""Training curves with matplotlib (Agg): losses, D(x)/D(G(z)), and quality over time."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mnistgan.fileio import atomic_path  # noqa: E402

COLORS = {"loss_d": "tab:blue", "loss_g": "tab:orange", "d_real": "tab:green", "d_fake": "tab:red",
          "fid": "tab:purple", "floor": "0.4", "cond_acc": "tab:brown"}


def _series(records: list[dict], key: str) -> tuple[list, list]:
    pts = [(r["step"], r[key]) for r in records if key in r and r[key] is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_training_curves(records: list[dict], path: str | os.PathLike) -> None:
    evals = [r for r in records if r.get("kind") == "eval"]
    ncols = 3 if evals else 2
    fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols, 3.6), constrained_layout=True)
    ax = axes[0]
    for key, label in (("loss_d", "discriminator"), ("loss_g", "generator")):
        ax.plot(*_series(records, key), label=label, color=COLORS[key], lw=1)
    ax.set(title="Losses", xlabel="generator step", ylabel="loss")
    ax.legend()
    ax = axes[1]
    for key, label in (("d_real", "D(x), real"), ("d_fake", "D(G(z)), generated")):
        ax.plot(*_series(records, key), label=label, color=COLORS[key], lw=1)
    ax.set(title="Discriminator outputs", xlabel="generator step", ylabel="mean D output")
    ax.legend()
    if evals:
        ax = axes[2]
        ax.plot(*_series(evals, "fid"), marker="o", label="FID (model)", color=COLORS["fid"])
        floor = [r["fid_floor"] for r in evals if r.get("fid_floor") is not None]
        if floor:
            ax.axhline(floor[-1], ls="--", color=COLORS["floor"], label="FID of real data (floor)")
        ax.set(title="Quality", xlabel="generator step", ylabel="FID (lower is better)")
        ax.set_yscale("log")
        handles, labels = ax.get_legend_handles_labels()
        steps, acc = _series(evals, "cond_acc")
        if acc:  # conditional models: how often the classifier sees the digit that was asked for
            twin = ax.twinx()
            twin.plot(steps, acc, marker="s", label="conditional accuracy", color=COLORS["cond_acc"])
            twin.set(ylabel="conditional accuracy", ylim=(0, 1.02))
            h, lab = twin.get_legend_handles_labels()
            handles, labels = handles + h, labels + lab
        ax.legend(handles, labels, fontsize="small")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)

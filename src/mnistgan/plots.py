"""Training curves with matplotlib (Agg): losses, D(x)/D(G(z)), and quality over time.

One drawing for every place that shows them: `plot_training_curves` writes a
run's curves file while training goes, and the report embeds `curves_png`
bytes of the same panels. Each panel is drawn from metrics.jsonl records
(`{"step", "loss_d", ...}`, and `{"kind": "eval", "fid", "fid_floor", ...}`).
"""

from __future__ import annotations

import io
import math
import os

from mnistgan.fileio import atomic_write_bytes
from mnistgan.formatting import fmt
from mnistgan.metrics.registry import METRIC_REGISTRY

COLORS = {"loss_d": "tab:blue", "loss_g": "tab:orange", "d_real": "tab:green", "d_fake": "tab:red",
          "fid": "tab:purple", "floor": "0.4", "cond_acc": "tab:brown"}
# Panels of training records: (title, y label, [(record key, legend label)]).
LINE_PANELS = {
    "losses": ("Losses", "loss", [("loss_d", "discriminator"), ("loss_g", "generator")]),
    "d_outputs": ("Discriminator outputs", "mean D output",
                  [("d_real", "D(x), real digits"), ("d_fake", "D(G(z)), generated digits")]),
}
# Panels of evaluation records, one per metric key; drawn only when the run has those figures.
QUALITY_PANELS = ("fid", "cond_acc")
QUALITY_AXES = {"fid": {"yscale": "log"}, "cond_acc": {"ylim": (0, 1.02)}}
TRAINING_PANELS = tuple(LINE_PANELS)
ALL_PANELS = TRAINING_PANELS + QUALITY_PANELS
PANEL_SIZE = (5.5, 3.8)  # inches per panel
MOST_COLUMNS = 2


def pyplot():
    # Imported on first use: matplotlib costs the command line a noticeable start-up delay.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def series(records: list[dict], key: str) -> tuple[list, list]:
    """(steps, values) of the records that have both a step and a value for `key`."""
    pts = [(r["step"], r[key]) for r in records if r.get(key) is not None and "step" in r]
    return [p[0] for p in pts], [p[1] for p in pts]


def _evaluations(records: list[dict]) -> list[dict]:
    return [r for r in records if r.get("kind") == "eval"]


def _draw_lines(ax, records: list[dict], panel: str) -> None:
    title, ylabel, lines = LINE_PANELS[panel]
    for key, label in lines:
        ax.plot(*series(records, key), label=label, color=COLORS[key], lw=1.2)
    ax.set(title=title, xlabel="generator step", ylabel=ylabel)


def _draw_quality(ax, evals: list[dict], key: str, final_floor: dict) -> None:
    """The metric over training, with the real-data floor as a dashed line (from the records, else `final_floor`)."""
    metric = METRIC_REGISTRY[key]
    ax.plot(*series(evals, key), marker="o", label="model", color=COLORS[key])
    floors = [r[f"{key}_floor"] for r in evals if r.get(f"{key}_floor") is not None]
    floor = floors[-1] if floors else final_floor.get(key)
    if floor is not None:
        ax.axhline(floor, ls="--", color=COLORS["floor"], label=f"real data ({fmt(floor)})")
    ax.set(title=f"{metric.label[0].upper()}{metric.label[1:]} ({metric.better} is better)", xlabel="generator step",
           ylabel=metric.label, **QUALITY_AXES.get(key, {}))


def panels_with_data(records: list[dict], panels=ALL_PANELS) -> list[str]:
    """The requested panels worth drawing: training panels always, quality panels when evaluated."""
    evals = _evaluations(records)
    return [p for p in panels if p in LINE_PANELS or series(evals, p)[0]]


def curves_figure(records: list[dict], panels=ALL_PANELS, final_floor: dict | None = None):
    """A figure of the chosen panels (see `panels_with_data`), at most two per row."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator
    chosen = panels_with_data(records, panels)
    if not chosen:
        raise ValueError(f"nothing to plot: no records for the panels {list(panels)}")
    ncols = min(MOST_COLUMNS, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows),
                             constrained_layout=True, squeeze=False)
    axes = axes.flatten()
    evals = _evaluations(records)
    for ax, panel in zip(axes, chosen):
        if panel in LINE_PANELS:
            _draw_lines(ax, records, panel)
        else:
            _draw_quality(ax, evals, panel, final_floor or {})
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # generator steps are whole numbers
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in axes[len(chosen):]:
        ax.remove()  # an odd number of panels leaves one cell empty
    return fig


def figure_png(fig) -> bytes:
    """PNG bytes of a figure, which is closed (pyplot keeps every open figure alive)."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=100)
    finally:
        pyplot().close(fig)
    return buf.getvalue()


def curves_png(records: list[dict], panels=ALL_PANELS, final_floor: dict | None = None) -> bytes:
    return figure_png(curves_figure(records, panels, final_floor))


def plot_training_curves(records: list[dict], path: str | os.PathLike) -> None:
    """Every panel with data, written atomically to `path` (a run's curves file, redrawn during training)."""
    atomic_write_bytes(path, curves_png(records))

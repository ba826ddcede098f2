"""The zoo's results: a table of mean ± std over seeds, FID against training time, sample grids, one HTML page.

Runs that collapsed or diverged stay in: the table counts them per family, and the means are over
the runs that finished (a diverged run has no final model to score).
"""

from __future__ import annotations

import io
import json
import statistics
from pathlib import Path

from mnistgan.fileio import atomic_write_bytes, atomic_write_text
from mnistgan.formatting import fmt
from mnistgan.grids import grid_image
from mnistgan.plots import figure_png, pyplot
from mnistgan.report.html import esc, figure, img, page, section, table
from mnistgan.sampling import Sampler
from mnistgan.zoo.runner import ZooSettings, as_dict, run_dir

COLUMNS = (("fid", "FID ↓"), ("kid", "KID ↓"), ("precision", "precision ↑"), ("recall", "recall ↑"),
           ("cond_acc", "conditional accuracy ↑"), ("images_per_s", "images/s ↑"))


def mean_std(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarize(results: list[dict]) -> list[dict]:
    """One row per preset: mean and std of each figure over its scored runs, and how runs ended."""
    rows = []
    for preset in dict.fromkeys(r["preset"] for r in results):
        runs = [r for r in results if r["preset"] == preset]
        row = {"preset": preset, "runs": len(runs),
               "collapsed": sum(r["status"] == "collapsed" for r in runs),
               "diverged": sum(r["status"] == "diverged" for r in runs)}
        for key, _ in COLUMNS:
            row[key] = mean_std([r[key] for r in runs if r.get(key) is not None])
        rows.append(row)
    return sorted(rows, key=lambda r: (r["fid"][0] is None, r["fid"][0]))


def pm(pair: tuple[float | None, float | None], digits: int = 3) -> str:
    mean, std = pair
    if mean is None:
        return "n/a"
    if abs(mean) >= 100:
        return f"{mean:,.0f} ± {std:,.0f}"
    return f"{mean:.{digits}g} ± {std:.2g}"


def table_rows(summary: list[dict]) -> list[list[str]]:
    return [[r["preset"], *[pm(r[key]) for key, _ in COLUMNS], f"{r['collapsed']} / {r['diverged']} of {r['runs']}"]
            for r in summary]


HEADER = ("preset", *[label for _, label in COLUMNS], "collapsed / diverged")


def markdown_table(summary: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(summary)]
    return "\n".join(lines) + "\n"


def fid_curve_png(results: list[dict]) -> bytes:
    """FID (log scale) against training seconds, per family: the mean over seeds at each budget point."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    for preset in dict.fromkeys(r["preset"] for r in results):
        curves = [r["curve"] for r in results if r["preset"] == preset and r["curve"]]
        if not curves:
            continue
        points = min(len(c) for c in curves)
        seconds = [statistics.fmean(c[i]["seconds"] for c in curves) for i in range(points)]
        fids = [statistics.fmean(c[i]["fid"] for c in curves) for i in range(points)]
        ax.plot(seconds, fids, marker="o", label=preset)
    ax.set(xlabel="training time (s)", ylabel="FID (lower is better)", title="FID against training time")
    ax.set_yscale("log")
    ax.legend(fontsize="small")
    return figure_png(fig)


def sample_grids(settings: ZooSettings, presets: list[str]) -> list[tuple[str, bytes]]:
    """A 10 x 10 grid from each family's first finished seed (a column per digit for conditional models)."""
    grids = []
    for preset in presets:
        for seed in range(settings.seeds):
            model = run_dir(settings, preset, seed).model_dir
            if model.is_dir():
                images, _ = Sampler.from_pretrained(model).sample(100, seed=0)
                grids.append((f"{preset} (seed {seed})", _png(grid_image(images, nrow=10, scale=2))))
                break
    return grids


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def write_outputs(settings: ZooSettings, results: list[dict], command: str) -> dict[str, Path]:
    """results.json, table.md, fid_vs_time.png, samples/*.png and the self-contained index.html."""
    out = settings.out
    summary = summarize(results)
    curve = fid_curve_png(results)
    grids = sample_grids(settings, [r["preset"] for r in summary])
    atomic_write_text(out / "results.json", json.dumps({"settings": as_dict(settings), "command": command,
                                                        "summary": summary, "runs": results}, indent=2) + "\n")
    atomic_write_text(out / "table.md", markdown_table(summary))
    atomic_write_bytes(out / "fid_vs_time.png", curve)
    for name, data in grids:
        atomic_write_bytes(out / "samples" / f"{name.split()[0]}.png", data)
    budget = f"{fmt(settings.seconds)} s" if settings.seconds is not None else f"{settings.images:,} images"
    sections = [
        section("table", "Scores", table(table_rows(summary), HEADER)
                + f"<p>Mean ± standard deviation over {settings.seeds} seeds; {settings.eval_samples:,} samples "
                  "per run against the MNIST test set.</p>"),
        section("curve", "FID against training time", img(curve, "FID against training time per family")),
        section("samples", "Samples", "".join(figure(data, name, name) for name, data in grids)),
    ]
    html = page("zoo", f"{len(summary)} families, budget {esc(budget)} per run, {settings.seeds} seeds",
                [("table", "Scores"), ("curve", "FID vs time"), ("samples", "Samples")], sections,
                f"<code>{esc(command)}</code>", kind="zoo")
    atomic_write_text(out / "index.html", html)
    return {"page": out / "index.html", "results": out / "results.json", "table": out / "table.md",
            "curve": out / "fid_vs_time.png"}

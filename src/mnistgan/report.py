"""`mnistgan report`: one self-contained HTML page about a training run.

Every image is embedded as a base64 data URI and the CSS is inline, so the file
opens offline in any browser and can be mailed around. Each section is built on
its own; a section whose data is missing (no evaluation yet, no exported model,
no MNIST at hand) says so in one line and the rest of the report still renders.
"""

from __future__ import annotations

import base64
import datetime
import functools
import html
import io
import json
import os
from pathlib import Path

import numpy as np

from mnistgan.errors import MnistganError
from mnistgan.fileio import atomic_write_text
from mnistgan.runlog import read_metrics
from mnistgan.formatting import fmt

PROGRESS_FRAMES = 30  # the GIF in the report; the collage keeps at most 12 epochs
NEIGHBOUR_QUERIES = 500  # generated digits searched against the training set
NEIGHBOUR_SHOWN = 12


class Missing(Exception):
    """A section has nothing to show; the message says what is missing, in one line."""


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def img(data: bytes, alt: str, mime: str = "image/png", cls: str = "") -> str:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<img class="{cls}" src="{uri}" alt="{esc(alt)}" width="{w}" height="{h}">'


def picture_bytes(picture, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    if isinstance(picture, list):
        picture[0].save(buf, format=fmt, save_all=True, append_images=picture[1:], loop=0, **kw)
    else:
        picture.save(buf, format=fmt, **kw)
    return buf.getvalue()


def table(rows, header: tuple[str, ...] | None = None) -> str:
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{esc(fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


class Run:
    """Lazy access to what a run directory holds; each piece is loaded at most once."""

    def __init__(self, run_dir: str | os.PathLike):
        self.dir = Path(run_dir)

    @functools.cached_property
    def config(self) -> dict:
        path = self.dir / "config.json"
        if not path.is_file():
            raise Missing("no config.json in the run directory")
        try:
            return json.loads(path.read_text())
        except ValueError:
            raise Missing(f"{path} is not valid JSON") from None

    @functools.cached_property
    def records(self) -> list[dict]:
        return read_metrics(self.dir)

    @functools.cached_property
    def sampler(self):
        from mnistgan.sampling import Sampler

        if not (self.dir / "model").is_dir():
            raise Missing("no exported model/ yet (the run has not finished or was interrupted before export)")
        return Sampler.from_pretrained(self.dir / "model")

    @functools.cached_property
    def metrics(self) -> dict:
        return self.sampler.info.get("metrics") or {}

    def mnist(self, split: str):
        from mnistgan.data import load_mnist

        data_dir = self.config.get("config", {}).get("data_dir") if (self.dir / "config.json").is_file() else None
        return load_mnist(split, data_dir)


# ---------------------------------------------------------------- figures


def _figure_png(fig) -> bytes:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    for ax in fig.axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # generator steps are whole numbers
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _series(records: list[dict], key: str) -> tuple[list, list]:
    pts = [(r["step"], r[key]) for r in records if r.get(key) is not None and "step" in r]
    return [p[0] for p in pts], [p[1] for p in pts]


def curves_png(records: list[dict]) -> bytes:
    import matplotlib.pyplot as plt

    from mnistgan.plots import COLORS

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    for key, label in (("loss_d", "discriminator"), ("loss_g", "generator")):
        ax1.plot(*_series(records, key), label=label, color=COLORS[key], lw=1.2)
    ax1.set(title="Losses", xlabel="generator step", ylabel="loss")
    for key, label in (("d_real", "D(x), real digits"), ("d_fake", "D(G(z)), generated digits")):
        ax2.plot(*_series(records, key), label=label, color=COLORS[key], lw=1.2)
    ax2.set(title="Discriminator outputs", xlabel="generator step", ylabel="mean D output")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    return _figure_png(fig)


def quality_png(evals: list[dict], final_floor: dict) -> bytes:
    import matplotlib.pyplot as plt

    from mnistgan.plots import COLORS

    panels = [(k, t, y) for k, t, y in (("fid", "FID (lower is better)", "FID"),
                                          ("cond_acc", "Conditional accuracy (higher is better)", "accuracy"))
              if _series(evals, k)[0]]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), constrained_layout=True, squeeze=False)
    for ax, (key, title, ylabel) in zip(axes[0], panels):
        ax.plot(*_series(evals, key), marker="o", label="model", color=COLORS[key])
        floor = [r[f"{key}_floor"] for r in evals if r.get(f"{key}_floor") is not None]
        if not floor and final_floor.get(key) is not None:
            floor = [final_floor[key]]
        if floor:
            ax.axhline(floor[-1], ls="--", color=COLORS["floor"], label=f"real data ({floor[-1]:.3g})")
        if key == "fid":
            ax.set_yscale("log")
        else:
            ax.set_ylim(0, 1.02)
        ax.set(title=title, xlabel="generator step", ylabel=ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
    return _figure_png(fig)


# ---------------------------------------------------------------- sections


def section_config(run: Run) -> str:
    cfg = run.config
    env = [("command", cfg.get("command")), ("device", cfg.get("device")), ("hardware", cfg.get("hardware")),
           ("precision", cfg.get("precision")), ("git commit", cfg.get("git"))]
    env += [(f"{k} version", v) for k, v in (cfg.get("versions") or {}).items()]
    options = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(fmt(v))}</dd></div>"
                      for k, v in sorted((cfg.get("config") or {}).items()))
    return (f"<h3>Environment</h3>{table(env)}"
            f'<h3>Training options</h3><dl class="options">{options}</dl>')


def section_curves(run: Run) -> str:
    steps = [r for r in run.records if r.get("kind") != "eval" and "loss_d" in r]
    if not steps:
        raise Missing("no training records in metrics.jsonl")
    return img(curves_png(steps), "Generator and discriminator losses and mean D outputs over training", cls="plot")


def section_quality(run: Run) -> str:
    evals = [r for r in run.records if r.get("kind") == "eval"]
    if not any(r.get("fid") is not None or r.get("cond_acc") is not None for r in evals):
        raise Missing("no evaluation records in metrics.jsonl (train with --eval-every N to track FID)")
    try:
        floor = run.metrics.get("floor", {})
    except (Missing, MnistganError):
        floor = {}
    return (img(quality_png(evals, floor), "FID and conditional accuracy over training", cls="plot")
            + '<p class="note">Dashed line: the same metric for real test digits, the best a model can do.</p>')


def section_progress(run: Run) -> str:
    from mnistgan import pictures

    if not pictures.sample_grids(run.dir):
        raise Missing("no samples/epoch_*.png in the run directory")
    collage = picture_bytes(pictures.progress_collage(run.dir))
    frames = pictures.progress_frames(run.dir, most=PROGRESS_FRAMES)
    gif = picture_bytes(frames, "GIF", duration=[500] * (len(frames) - 1) + [2000])
    return (f'<figure>{img(collage, "Fixed-noise digits, a row per epoch", cls="digits")}'
            "<figcaption>The same noise vectors (the first of each grid row) at the end of each epoch.</figcaption>"
            f'</figure><figure>{img(gif, "Animation of the fixed-noise grid over training", "image/gif", "digits")}'
            "<figcaption>The whole fixed-noise grid, one frame per epoch.</figcaption></figure>")


def section_classes(run: Run) -> str:
    from mnistgan import pictures

    s = run.sampler
    images, _ = pictures.samples_per_class(s, 10, seed=0)
    what = "A row per digit (0-9), seed 0." if s.conditional else "100 samples, seed 0 (an unconditional model)."
    return f'<figure>{img(picture_bytes(pictures.class_grid(images, 10, s.conditional)), what, cls="digits")}' \
           f"<figcaption>{esc(what)}</figcaption></figure>"


def section_real_vs_fake(run: Run) -> str:
    from mnistgan import pictures

    s = run.sampler
    test = run.mnist("test")
    fake, _ = pictures.samples_per_class(s, 8, seed=1)
    real = pictures.real_per_class(test.images, test.labels, 8, seed=1, by_class=s.conditional)
    pic = pictures.real_vs_fake(real, fake, 8, s.conditional, "this run", scale=2)
    return img(picture_bytes(pic), "Real MNIST test digits beside generated digits", cls="digits")


def section_interpolation(run: Run) -> str:
    from mnistgan import pictures

    s = run.sampler
    walks = ([(3, 8, (0, 1)), (1, 7, (2, 3)), (4, 9, (4, 5)), (5, 5, (6, 7))] if s.conditional
             else [(None, None, (0, 1)), (None, None, (2, 3)), (None, None, (4, 5))])
    strips = []
    for a, b, seeds in walks:
        images = s.interpolate(10, a, b, seeds, slerp=True)
        strips.append(pictures.interpolation_strip(images, pictures.interpolation_caption(s, a, b, seeds, True)))
    return "".join(f"<figure>{img(picture_bytes(p), 'Latent interpolation', cls='digits')}</figure>" for p in strips)


def section_neighbours(run: Run) -> str:
    from mnistgan import pictures
    from mnistgan.metrics import memorization
    from mnistgan.metrics.reference import REFERENCE, memorization_threshold, nearest_train_to_test

    s = run.sampler
    train = run.mnist("train").images.numpy()
    fake, _ = s.sample(NEIGHBOUR_QUERIES, seed=2)
    dist, idx = memorization.nearest_neighbours(fake, train)
    real_dist = nearest_train_to_test()[0][REFERENCE]  # the test digits that set the copy threshold
    threshold = memorization_threshold()
    closest = memorization.worst_pairs(dist, NEIGHBOUR_SHOWN)
    pic = pictures.neighbour_pairs(fake[closest], train[idx[closest]])
    copies = int((dist < threshold).sum())
    rows = [("generated digits", f"{NEIGHBOUR_QUERIES:,}", float(np.median(dist)), float(dist.min())),
            ("real test digits (never trained on)", f"{len(real_dist):,}", float(np.median(real_dist)),
             float(real_dist.min()))]
    verdict = ("none of them is a copy" if copies == 0 else
               f"{copies} of them {'is' if copies == 1 else 'are'} nearer than that: look at the pairs above")
    return (f"<figure>{img(picture_bytes(pic), 'Generated digits above their nearest training digits', cls='digits')}"
            f"<figcaption>The {NEIGHBOUR_SHOWN} of {NEIGHBOUR_QUERIES} generated digits closest to a training digit "
            "(L2 distance in pixel space, pixels in [0, 1]), above that training digit.</figcaption></figure>"
            + table(rows, ("distance to the nearest of the 60,000 training digits", "digits", "median", "smallest"))
            + f'<p class="note">A generated digit nearer to a training digit than any of these real digits comes '
            f"({threshold:.3g}) counts as a copy: {esc(verdict)}.</p>")


def section_metrics(run: Run) -> str:
    m = run.metrics if (run.dir / "model").is_dir() else {}
    if m.get("model"):
        from mnistgan.metrics.evaluation import METRICS

        known = {x.key: x for x in METRICS}
        rows = [(known[k].label if k in known else k, v, (m.get("floor") or {}).get(k),
                 known[k].better if k in known else "", known[k].explanation if k in known else "")
                for k, v in m["model"].items()]
        source = m.get("source") or f"{m.get('num', '?')} samples" + (f", seed {m['seed']}" if "seed" in m else "")
        how = f"<p class=\"note\">{esc(source)}; measured by " \
              f"<code>{esc(m.get('command', 'mnistgan evaluate'))}</code>.</p>"
        return table(rows, ("metric", "model", "real data", "better", "what it measures")) + how
    evals = [r for r in run.records if r.get("kind") == "eval"]
    if evals:
        last = evals[-1]
        keys = [k for k in last if k not in ("kind", "step", "epoch") and not k.endswith("_floor")]
        rows = [(k, last[k], last.get(f"{k}_floor")) for k in keys]
        return table(rows, ("metric", "model", "real-data floor")) + \
            f'<p class="note">From the last evaluation during training (step {esc(last.get("step"))}).</p>'
    raise Missing(f"no metrics yet: run `mnistgan evaluate --model {run.dir / 'model'}`")


SECTIONS = [
    ("config", "Configuration and environment", section_config),
    ("curves", "Losses and discriminator outputs", section_curves),
    ("quality", "Quality over training", section_quality),
    ("progress", "Training progress", section_progress),
    ("classes", "Samples", section_classes),
    ("real-vs-fake", "Real vs generated", section_real_vs_fake),
    ("interpolation", "Latent interpolation", section_interpolation),
    ("neighbours", "Nearest training neighbours (memorization check)", section_neighbours),
    ("metrics", "Final metrics", section_metrics),
]


def summary(run: Run) -> str:
    bits = []
    try:
        c = run.config.get("config", {})
        bits.append(f"preset <b>{esc(c.get('preset', '?'))}</b>")
        bits.append(esc(run.config.get("hardware", "")))
    except Missing:
        pass
    steps = [r for r in run.records if "step" in r and r.get("kind") != "eval"]
    if steps:
        epoch = steps[-1].get("epoch")
        bits.append(f"{steps[-1]['step']:,} generator steps" + (f" in {epoch} epoch{'s' * (epoch != 1)}" if epoch else ""))
    try:
        info = run.sampler.info
        if info.get("wall_time_s") is not None:
            bits.append(f"{info['wall_time_s'] / 60:.1f} min of training")
        fid = (info.get("metrics") or {}).get("model", {}).get("fid")
        if fid is not None:
            bits.append(f"FID <b>{fid:.3g}</b> (real digits: {info['metrics'].get('floor', {}).get('fid', float('nan')):.3g})")
    except (Missing, MnistganError):
        pass
    return " · ".join(b for b in bits if b)


def build_report(run_dir: str | os.PathLike) -> tuple[str, list[str]]:
    """(HTML text, notes for the sections that had nothing to show)."""
    run = Run(run_dir)
    parts, notes = [], []
    for key, title, build in SECTIONS:
        try:
            body = build(run)
        except (Missing, MnistganError) as e:
            notes.append(f"{title}: {e}")
            body = f'<p class="missing">Not available: {esc(e)}.</p>'
        parts.append(f'<section id="{key}"><h2>{esc(title)}</h2>{body}</section>')
    nav = " ".join(f'<a href="#{k}">{esc(t.split(" (")[0])}</a>' for k, t, _ in SECTIONS)
    name = Path(os.path.abspath(run_dir)).name
    made = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>mnistgan report: {esc(name)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>mnistgan run <code>{esc(name)}</code></h1><p class=\"sub\">{summary(run)}</p>"
            f"<nav>{nav}</nav></header><main>{''.join(parts)}</main>"
            f"<footer>Made by <code>mnistgan report {esc(run_dir)}</code> on {made}.</footer></body></html>\n")
    return page, notes


def write_report(run_dir: str | os.PathLike, out: str | os.PathLike) -> list[str]:
    page, notes = build_report(run_dir)
    try:
        atomic_write_text(out, page)
    except OSError as e:
        raise MnistganError(f"{out}: cannot write ({e.strerror or e})") from None
    return notes


CSS = """
:root{--ink:#1d2430;--muted:#5b6472;--line:#dde1e7;--accent:#6a3fb5;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif}
header{background:#fff;border-bottom:1px solid var(--line);padding:24px max(24px,calc(50% - 560px)) 12px}
h1{margin:0 0 4px;font-size:24px}
h2{margin:0 0 14px;font-size:19px;border-bottom:2px solid var(--accent);display:inline-block;padding-bottom:2px}
h3{margin:0 0 8px;font-size:15px;color:var(--muted)}
.sub{margin:0 0 10px;color:var(--muted)}
nav a{color:var(--accent);text-decoration:none;margin-right:14px;font-size:14px;white-space:nowrap}
main{max-width:1120px;margin:0 auto;padding:8px 24px 24px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:18px 0;
overflow-x:auto}
img{max-width:100%;height:auto;display:block}
img.digits{image-rendering:pixelated}
figure{margin:0 0 14px}
figcaption,.note{color:var(--muted);font-size:13px;margin:6px 0 0}
.missing{color:var(--muted);font-style:italic;margin:0}
h3+table,h3+dl{margin-bottom:18px}
dl.options{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:0 24px;margin:0;font-size:13px}
dl.options>div{display:flex;justify-content:space-between;border-bottom:1px solid var(--line);padding:3px 0}
dt{color:var(--muted)}
dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 12px 4px 0;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}
td{font-variant-numeric:tabular-nums;word-break:break-word}
code{font:13px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;background:var(--bg);padding:1px 4px;border-radius:3px}
footer{max-width:1120px;margin:0 auto;padding:0 24px 32px;color:var(--muted);font-size:13px}
"""

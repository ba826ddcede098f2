"""The report's sections, each built on its own from a `ReportRun`: HTML text, or `Missing` with the reason."""

from __future__ import annotations

import numpy as np

from mnistgan import pictures, plots
from mnistgan.formatting import fmt
from mnistgan.metrics.memorization import nearest_neighbours, worst_pairs
from mnistgan.metrics.reference import REFERENCE, memorization_threshold, nearest_train_to_test
from mnistgan.metrics.registry import METRIC_REGISTRY
from mnistgan.report.html import esc, figure, img, note, table
from mnistgan.report.run import Missing, ReportRun

PROGRESS_FRAMES = 30  # the GIF in the report; the collage keeps at most 12 epochs
NEIGHBOUR_QUERIES = 500  # generated digits searched against the training set
NEIGHBOUR_SHOWN = 12


def section_config(run: ReportRun) -> str:
    cfg = run.config
    env = [("command", cfg.get("command")), ("device", cfg.get("device")), ("hardware", cfg.get("hardware")),
           ("precision", cfg.get("precision")), ("git commit", cfg.get("git"))]
    env += [(f"{k} version", v) for k, v in (cfg.get("versions") or {}).items()]
    options = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(fmt(v))}</dd></div>"
                      for k, v in sorted((cfg.get("config") or {}).items()))
    return (f"<h3>Environment</h3>{table(env)}"
            f'<h3>Training options</h3><dl class="options">{options}</dl>')


def section_curves(run: ReportRun) -> str:
    steps = [r for r in run.step_records if "loss_d" in r]
    if not steps:
        raise Missing(f"no training records in {run.dir.metrics_path.name}")
    png = plots.curves_png(steps, plots.TRAINING_PANELS)
    return img(png, "Generator and discriminator losses and mean D outputs over training", cls="plot")


def section_quality(run: ReportRun) -> str:
    evals = run.evaluations
    if not plots.panels_with_data(evals, plots.QUALITY_PANELS):
        raise Missing(f"no evaluation records in {run.dir.metrics_path.name} "
                      "(train with --eval-every N to track FID)")
    png = plots.curves_png(evals, plots.QUALITY_PANELS, run.model_metrics.get("floor") or {})
    return (img(png, "FID and conditional accuracy over training", cls="plot")
            + note("Dashed line: the same metric for real digits, the best a model can do."))


def section_progress(run: ReportRun) -> str:
    if not run.dir.sample_epochs():
        raise Missing("no fixed-noise samples saved yet (training saves them after each epoch)")
    collage = pictures.encode_picture(pictures.progress_collage(run.dir.root))
    frames = pictures.progress_frames(run.dir.root, most=PROGRESS_FRAMES)
    gif = pictures.encode_picture(frames, "GIF", pictures.PROGRESS_FRAME_MS, pictures.PROGRESS_HOLD_MS)
    return (figure(collage, "Fixed-noise digits, a row per epoch",
                   "The same noise vectors (the first of each grid row) at the end of each epoch.")
            + figure(gif, "Animation of the fixed-noise grid over training",
                     "The whole fixed-noise grid, one frame per epoch.", mime="image/gif"))


def section_classes(run: ReportRun) -> str:
    s = run.sampler
    images, _ = pictures.samples_per_class(s, 10, seed=0)
    what = "A row per digit (0-9), seed 0." if s.conditional else "100 samples, seed 0 (an unconditional model)."
    return figure(pictures.encode_picture(pictures.class_grid(images, 10, s.conditional)), what, what)


def section_real_vs_fake(run: ReportRun) -> str:
    s = run.sampler
    test = run.mnist("test")
    fake, _ = pictures.samples_per_class(s, 8, seed=1)
    real = pictures.real_per_class(test.images, test.labels, 8, seed=1, by_class=s.conditional)
    pic = pictures.real_vs_fake(real, fake, 8, s.conditional, "this run", scale=2)
    return img(pictures.encode_picture(pic), "Real MNIST test digits beside generated digits", cls="digits")


def section_interpolation(run: ReportRun) -> str:
    s = run.sampler
    walks = ([(3, 8, (0, 1)), (1, 7, (2, 3)), (4, 9, (4, 5)), (5, 5, (6, 7))] if s.conditional
             else [(None, None, (0, 1)), (None, None, (2, 3)), (None, None, (4, 5))])
    strips = []
    for a, b, seeds in walks:
        images = s.interpolate(10, a, b, seeds, slerp=True)
        strip = pictures.interpolation_strip(images, pictures.interpolation_caption(s, a, b, seeds, True))
        strips.append(figure(pictures.encode_picture(strip), "Latent interpolation"))
    return "".join(strips)


def section_neighbours(run: ReportRun) -> str:
    s = run.sampler
    train = run.mnist("train").images.numpy()
    fake, _ = s.sample(NEIGHBOUR_QUERIES, seed=2)
    dist, idx = nearest_neighbours(fake, train)
    real_dist = nearest_train_to_test()[0][REFERENCE]  # the test digits that set the copy threshold
    threshold = memorization_threshold()
    closest = worst_pairs(dist, NEIGHBOUR_SHOWN)
    pic = pictures.neighbour_pairs(fake[closest], train[idx[closest]])
    copies = int((dist < threshold).sum())
    rows = [("generated digits", f"{NEIGHBOUR_QUERIES:,}", float(np.median(dist)), float(dist.min())),
            ("real test digits (never trained on)", f"{len(real_dist):,}", float(np.median(real_dist)),
             float(real_dist.min()))]
    verdict = ("none of them is a copy" if copies == 0 else
               f"{copies} of them {'is' if copies == 1 else 'are'} nearer than that: look at the pairs above")
    return (figure(pictures.encode_picture(pic), "Generated digits above their nearest training digits",
                   f"The {NEIGHBOUR_SHOWN} of {NEIGHBOUR_QUERIES} generated digits closest to a training digit "
                   "(L2 distance in pixel space, pixels in [0, 1]), above that training digit.")
            + table(rows, ("distance to the nearest of the 60,000 training digits", "digits", "median", "smallest"))
            + note(f"A generated digit nearer to a training digit than any of these real digits comes "
                   f"({fmt(threshold)}) counts as a copy: {verdict}."))


def _metric_row(key: str, value, floor: dict) -> tuple:
    metric = METRIC_REGISTRY.get(key)  # a figure recorded by another version may have no entry here
    if metric is None:
        return key, value, floor.get(key), "", ""
    return metric.label, value, floor.get(key), metric.better, metric.explanation


def section_metrics(run: ReportRun) -> str:
    m = run.model_metrics
    if m.get("model"):
        floor = m.get("floor") or {}
        rows = [_metric_row(k, v, floor) for k, v in m["model"].items()]
        source = m.get("source") or f"{m.get('num', '?')} samples" + (f", seed {m['seed']}" if "seed" in m else "")
        how = f"<p class=\"note\">{esc(source)}; measured by <code>{esc(m.get('command', 'mnistgan evaluate'))}</code>.</p>"
        return table(rows, ("metric", "model", "real data", "better", "what it measures")) + how
    if run.evaluations:
        last = run.evaluations[-1]
        keys = [k for k in last if k not in ("kind", "step", "epoch") and not k.endswith("_floor")]
        rows = [(k, last[k], last.get(f"{k}_floor")) for k in keys]
        return (table(rows, ("metric", "model", "real-data floor"))
                + note(f"From the last evaluation during training (step {last.get('step')})."))
    raise Missing(f"no metrics yet: run `mnistgan evaluate --model {run.dir.model_dir}`")


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

"""`mnistgan report`: one self-contained HTML page about a training run.

Each section is built on its own (`sections.py`) from what the run directory
holds (`run.py`); a section whose data is missing (no evaluation yet, no
exported model, no MNIST at hand) says so in one line and the rest of the
report still renders. `html.py` writes the page: images embedded, CSS inline.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from mnistgan.errors import MnistganError
from mnistgan.fileio import atomic_write_text
from mnistgan.formatting import fmt
from mnistgan.report import html
from mnistgan.report.run import Missing, ReportRun
from mnistgan.report.sections import SECTIONS

__all__ = ["SECTIONS", "build_report", "write_report"]


def summary(run: ReportRun) -> str:
    """The line under the title: preset, hardware, steps, training time, FID beside real digits' (HTML)."""
    bits = []
    try:
        bits.append(f"preset <b>{html.esc(run.config.get('config', {}).get('preset', '?'))}</b>")
        bits.append(html.esc(run.config.get("hardware", "")))
    except MnistganError:
        pass  # no readable config: its section says why
    steps = run.step_records
    if steps:
        epoch = steps[-1].get("epoch")
        bits.append(f"{steps[-1]['step']:,} generator steps" + (f" in {epoch} epoch{'s' * (epoch != 1)}" if epoch else ""))
    try:
        info = run.sampler.info
        if info.get("wall_time_s") is not None:
            bits.append(f"{fmt(info['wall_time_s'] / 60)} min of training")
    except (Missing, MnistganError):
        pass  # no exported model: its sections say why
    metrics = run.model_metrics
    fid = (metrics.get("model") or {}).get("fid")
    if fid is not None:
        bits.append(f"FID <b>{html.esc(fmt(fid))}</b> (real digits: {html.esc(fmt((metrics.get('floor') or {}).get('fid')))})")
    return " · ".join(b for b in bits if b)


def build_report(run_dir: str | os.PathLike) -> tuple[str, list[str]]:
    """(HTML text, notes for the sections that had nothing to show)."""
    run = ReportRun(run_dir)
    parts, notes = [], []
    for key, title, build in SECTIONS:
        try:
            body = build(run)
        except (Missing, MnistganError) as e:
            notes.append(f"{title}: {e}")
            body = html.missing(e)
        parts.append(html.section(key, title, body))
    nav = [(key, title.split(" (")[0]) for key, title, _ in SECTIONS]
    made = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    footer = f"Made by <code>mnistgan report {html.esc(run_dir)}</code> on {made}."
    return html.page(Path(os.path.abspath(run_dir)).name, summary(run), nav, parts, footer), notes


def write_report(run_dir: str | os.PathLike, out: str | os.PathLike) -> list[str]:
    """Write the report of `run_dir` to `out`; returns the notes of the sections without data."""
    page, notes = build_report(run_dir)
    try:
        atomic_write_text(out, page)
    except OSError as e:
        raise MnistganError(f"{out}: cannot write ({e.strerror or e})") from None
    return notes

"""What a run writes as it goes: config.json, metrics.jsonl, losses.png, the progress bar."""

from __future__ import annotations

import json
import math
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

from mnistgan.fileio import atomic_write_text


def git_hash() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str]:
    import torch

    from mnistgan import __version__

    return {"mnistgan": __version__, "torch": torch.__version__, "python": platform.python_version()}


def read_metrics(run_dir: Path) -> list[dict]:
    """Records of metrics.jsonl; a torn last line (a killed writer) is ignored."""
    path = Path(run_dir) / "metrics.jsonl"
    records = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


class RunLog:
    def __init__(self, run_dir: Path, enabled: bool = True):
        self.run_dir, self.enabled = Path(run_dir), enabled
        self._last_plot = -math.inf

    @staticmethod
    def command_line() -> str:
        return shlex.join(["mnistgan", *sys.argv[1:]]) if Path(sys.argv[0]).name in ("mnistgan", "__main__.py") else shlex.join(sys.argv)

    def write_run_config(self, cfg, extra: dict) -> None:
        if not self.enabled:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        record = {"config": cfg.to_dict(), **extra, "versions": versions(), "git": git_hash(),
                  "command": self.command_line()}
        atomic_write_text(self.run_dir / "config.json", json.dumps(record, indent=2) + "\n")

    def append_metrics(self, record: dict) -> None:
        if not self.enabled:
            return
        with open(self.run_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")

    def plot(self, at_most_every_s: float = 0.0) -> None:
        """Redraw losses.png; skipped if the last redraw is less than `at_most_every_s` ago."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_plot < at_most_every_s:
            return
        self._last_plot = now
        from mnistgan.plots import plot_training_curves

        records = read_metrics(self.run_dir)
        if records:
            plot_training_curves(records, self.run_dir / "losses.png")

    def progress_bar(self, total: int, initial: int, enabled: bool = True):
        from tqdm.auto import tqdm

        import sys

        # Redraw less often when stderr is a log file, not a terminal.
        interval = 0.5 if sys.stderr.isatty() else 30
        return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, mininterval=interval,
                    disable=not (enabled and self.enabled), desc="training")

"""What the report reads from a run directory, each piece loaded at most once, every path through `RunDir`."""

from __future__ import annotations

import functools
import os

from mnistgan.data import MNIST, load_mnist
from mnistgan.errors import MnistganError
from mnistgan.sampling import Sampler
from mnistgan.train.rundir import RunDir


class Missing(Exception):
    """A section has nothing to show; the message says what is missing, in one line."""


class ReportRun:
    """Lazy access to a run: its config, metrics records, exported model (as a Sampler) and the MNIST it used."""

    def __init__(self, run_dir: str | os.PathLike):
        self.dir = RunDir(run_dir)

    @functools.cached_property
    def config(self) -> dict:
        return self.dir.read_config()  # a one-line MnistganError when missing or unreadable

    @functools.cached_property
    def records(self) -> list[dict]:
        return self.dir.read_metrics()

    @property
    def step_records(self) -> list[dict]:
        return [r for r in self.records if r.get("kind") != "eval" and "step" in r]

    @property
    def evaluations(self) -> list[dict]:
        return [r for r in self.records if r.get("kind") == "eval"]

    @functools.cached_property
    def sampler(self) -> Sampler:
        if not self.dir.model_dir.is_dir():
            raise Missing(f"no exported model yet ({self.dir.model_dir.name}/ appears when training finishes "
                          "or is interrupted)")
        return Sampler.from_pretrained(self.dir.model_dir)

    @functools.cached_property
    def model_metrics(self) -> dict:
        """The exported model's info.json metrics block; empty when there is none, or no model."""
        try:
            return self.sampler.info.get("metrics") or {}
        except (Missing, MnistganError):
            return {}

    def mnist(self, split: str) -> MNIST:
        """An MNIST split, from the data directory the run trained with when it named one."""
        try:
            data_dir = self.dir.train_config().get("data_dir")
        except MnistganError:
            data_dir = None
        return load_mnist(split, data_dir)

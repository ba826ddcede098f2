"""Optional dependencies (pyproject's extras): imported when a feature needs them, or a one-line error that says how to get them."""

from __future__ import annotations

import importlib
from types import ModuleType

from mnistgan.errors import MnistganError


def import_extra(module: str, extra: str, feature: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MnistganError(f"{feature} needs {module}, which is not installed: pip install 'mnistgan[{extra}]'") from None

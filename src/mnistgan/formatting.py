"""How numbers read in tables, cards and pages: one rule everywhere."""

from __future__ import annotations


def fmt(value) -> str:
    """Floats to 4 significant digits, None as "n/a", anything else as str()."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)

"""Debian's Chromium for the browser tests: where it is, how it starts, and one skip when it is missing.

Every test that launches Chromium carries `requires_chromium` and starts it with `launch`.
`MNISTGAN_CHROMIUM` points the tests at another binary (a path that does not exist shows the skip).
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("MNISTGAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MISSING = (f"Chromium is not installed here ({CHROMIUM}; apt-get install chromium; make test installs it "
           "when it can), so the browser tests cannot run")


def installed() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


requires_chromium = pytest.mark.skipif(not installed(), reason=MISSING)


def launch(playwright):
    """`playwright.chromium`, launched headless from CHROMIUM; skips the test when it is missing."""
    if not installed():
        pytest.skip(MISSING)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

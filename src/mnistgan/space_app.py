"""The app of a Space that `mnistgan space` writes: `python app.py` serves its models with `mnistgan serve`.

`mnistgan space` copies this file into the Space as app.py, beside a copy of the mnistgan package
(`import mnistgan` finds that copy first: Python puts the script's folder first on sys.path) and the
chosen models in models/. Spaces run `python app.py` and send traffic to port 7860 on all interfaces;
GRADIO_SERVER_NAME, GRADIO_SERVER_PORT or PORT say otherwise.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PERSISTENT_DISK = Path("/data")  # where a Space with persistent storage keeps files across restarts


def main() -> None:
    here = Path(__file__).resolve().parent
    # The Space's models stand in for the bundled ones, so it serves exactly those it was built with.
    os.environ["MNISTGAN_BUNDLED"] = str(here / "models")
    # Votes go to MNISTGAN_HOME: the persistent disk when the Space has one, else a temp folder, since
    # the app's own folder is a checkout that every restart resets.
    home = (PERSISTENT_DISK / "mnistgan" if os.access(PERSISTENT_DISK, os.W_OK)
            else Path(tempfile.gettempdir()) / "mnistgan-space")
    os.environ.setdefault("MNISTGAN_HOME", str(home))
    host = os.environ.get("GRADIO_SERVER_NAME") or "0.0.0.0"
    port = os.environ.get("GRADIO_SERVER_PORT") or os.environ.get("PORT") or "7860"

    from mnistgan.cli import main as mnistgan

    mnistgan(["serve", "--host", host, "--port", port])


if __name__ == "__main__":
    main()

"""Where a result came from: the command line, the code's git commit, the library versions."""

from __future__ import annotations

import platform
import shlex
import subprocess
import sys
from pathlib import Path

import torch

from mnistgan import __version__


def command_line() -> str:
    """This process's command as a user would type it (`mnistgan ...` for the CLI)."""
    if Path(sys.argv[0]).name in ("mnistgan", "__main__.py"):
        return shlex.join(["mnistgan", *sys.argv[1:]])
    return shlex.join(sys.argv)


def git_hash() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str]:
    return {"mnistgan": __version__, "torch": torch.__version__, "python": platform.python_version()}

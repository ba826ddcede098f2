"""The files the page offers for download, kept in a private temp folder for the life of the server."""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from pathlib import Path

from mnistgan.fileio import atomic_write_bytes


class Downloads:
    """Named by their content, so asking for the same picture twice writes one file."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="mnistgan-app-"))
        atexit.register(shutil.rmtree, self.root, True)

    def write(self, stem: str, suffix: str, data: bytes) -> str:
        path = self.root / f"{stem.replace('@', '-v')}-{hashlib.sha256(data).hexdigest()[:10]}{suffix}"
        if not path.exists():
            atomic_write_bytes(path, data)
        return str(path)

"""Commands as an unprivileged user, so that a read-only directory really is read-only.

Root writes through any chmod, so when the tests run as root (containers, CI) the command runs
as `nobody` (uid/gid 65534) through util-linux's `setpriv`, keeping one capability,
CAP_DAC_READ_SEARCH: it may read and traverse everything (the root-owned interpreter, the
virtualenv, the tests' MNIST cache, all in 0700 directories) but writes only where the
permission bits allow. Not root: the command runs as is, and chmod alone does the job.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

UID = GID = 65534  # nobody / nogroup


def is_root() -> bool:
    return os.geteuid() == 0


def command(args: list[str]) -> list[str]:
    if not is_root():
        return list(args)
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: the read-only tests need util-linux's setpriv to drop to an unprivileged user"
    return [setpriv, f"--reuid={UID}", f"--regid={GID}", "--clear-groups",
            "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", *args]


@contextlib.contextmanager
def workspace(prefix: str = "mnistgan-unprivileged-") -> Iterator[Path]:
    """A fresh directory the unprivileged user can reach and own, removed afterwards.

    Not under pytest's tmp_path: that lies in a 0700 root directory, where `access(2)` (which
    ignores the kept capability) would call every path in it unwritable, read-only or not.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        root.chmod(0o755)
        give(root)
        yield root
    finally:
        writable(root)
        shutil.rmtree(root, ignore_errors=True)


def _tree(path: Path):
    path = Path(path)
    yield path
    if path.is_dir():
        yield from path.rglob("*")


def give(path: Path) -> None:
    """Make `path` (recursively) the unprivileged user's, as a directory it made itself would be."""
    if is_root():
        for p in _tree(path):
            os.chown(p, UID, GID, follow_symlinks=False)


def read_only(path: Path) -> None:
    """Take every write bit off `path` and everything under it."""
    for p in sorted(_tree(path), key=lambda p: len(p.parts), reverse=True):  # children before their directory
        os.chmod(p, stat.S_IMODE(p.lstat().st_mode) & ~0o222)


def writable(path: Path) -> None:
    """Undo `read_only` (so pytest can clean up when not root)."""
    for p in _tree(path):
        os.chmod(p, stat.S_IMODE(p.lstat().st_mode) | 0o200)


def environment(home: Path, **extra: str) -> dict[str, str]:
    """The tests' environment, with a home (and matplotlib's config) the unprivileged user can write."""
    return {**os.environ, "HOME": str(home), "MPLCONFIGDIR": str(Path(home) / ".matplotlib"), **extra}

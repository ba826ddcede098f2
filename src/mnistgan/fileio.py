"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside `target`; on success fsync it and rename it into place.

    The temp file lives in the same directory so `os.replace` is a rename, which
    POSIX makes atomic. On any exception the temp file is removed and `target`
    is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the mode open() would
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: setting the umask is process-wide, and doing it per write would briefly
# hand files other threads (the server's) create at that moment the mode 0666.
_UMASK = _read_umask()


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def writable_dir(directory: str | os.PathLike, what: str = "directory") -> Path:
    """Create `directory` if needed and make sure it can be written, or raise a one-line MnistganError."""
    from mnistgan.errors import MnistganError

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise MnistganError(f"{what} {directory} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MnistganError(f"cannot create {what} {directory} ({e.strerror})") from None
    if not os.access(directory, os.W_OK):
        raise MnistganError(f"{what} {directory} is not writable")
    return directory

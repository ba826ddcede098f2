"""Writing generated samples: a PNG grid or the NPZ contract, chosen by the file suffix."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from mnistgan.errors import MnistganError
from mnistgan.fileio import atomic_write_bytes, writable_dir
from mnistgan.grids import grid_columns, grid_image

SUFFIXES = (".png", ".npz")


def npz_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """The generate contract: images uint8 [N,28,28] (0 background, 255 ink), labels int64 [N]."""
    buf = io.BytesIO()
    np.savez_compressed(buf, images=images.astype(np.uint8), labels=labels.astype(np.int64))
    return buf.getvalue()


def png_bytes(images: np.ndarray, nrow: int | None = None, scale: int = 2) -> bytes:
    buf = io.BytesIO()
    grid_image(images, nrow, scale).save(buf, format="PNG")
    return buf.getvalue()


def check_output_path(path: str | os.PathLike, suffixes=SUFFIXES) -> Path:
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise MnistganError(f"{path}: output must end in {' or '.join(suffixes)}")
    writable_dir(path.parent, what=f"{path}: output directory")
    return path


def write_samples(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray, conditional: bool,
                  digits=None) -> None:
    """`images` as an .npz (with their labels) or a .png grid; `digits` is what the user asked for."""
    path = check_output_path(path)
    if path.suffix.lower() == ".npz":
        data = npz_bytes(images, labels)
    else:
        data = png_bytes(images, nrow=grid_columns(conditional, digits, len(images)))
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise MnistganError(f"{path}: cannot write ({e.strerror})") from None

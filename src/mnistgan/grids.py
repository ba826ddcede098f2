"""Digit grids as images: uint8 digits in, PNG or GIF out (nearest-neighbour upscaled, readable)."""

from __future__ import annotations

import io
import math
import os

import numpy as np
from PIL import Image

from mnistgan.fileio import atomic_path

DIGIT_CLASSES = 10  # MNIST's 0-9; kept here so drawing grids does not import the networks (torch)


def grid_columns(conditional: bool, digits, num: int) -> int | None:
    """How many digits per row a grid of `num` generated digits gets: ten when a conditional model cycled
    through 0-9 itself (`digits` None), so each column holds one digit; else None, a square grid."""
    return DIGIT_CLASSES if conditional and digits is None and num >= DIGIT_CLASSES else None


def tile(digits: np.ndarray, nrow: int | None = None, pad: int = 2, invert: bool = True) -> np.ndarray:
    """Tile uint8 digits (N, 28, 28) into one uint8 image, `nrow` digits per row.

    `invert` draws dark ink on white paper, which reads better than MNIST's
    white-on-black on a page; the data itself keeps MNIST's polarity.
    """
    digits = np.asarray(digits, dtype=np.uint8)
    n, h, w = digits.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    paper = 0 if not invert else 255
    canvas = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), paper, dtype=np.uint8)
    for i, d in enumerate(digits):
        r, c = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        canvas[y : y + h, x : x + w] = 255 - d if invert else d
    return canvas


def upscale(image: np.ndarray, scale: int) -> Image.Image:
    return Image.fromarray(image).resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)


def grid_image(digits: np.ndarray, nrow: int | None = None, scale: int = 2) -> Image.Image:
    return upscale(tile(digits, nrow), scale)


def save_image(image: Image.Image, path: str | os.PathLike, **save_kwargs) -> None:
    """Save a PIL image atomically; the format follows the file suffix."""
    fmt = os.path.splitext(str(path))[1].lstrip(".").upper().replace("JPG", "JPEG") or "PNG"
    with atomic_path(path) as tmp:
        image.save(tmp, format=fmt, **save_kwargs)


def save_grid(digits: np.ndarray, path: str | os.PathLike, nrow: int | None = None, scale: int = 2) -> None:
    save_image(grid_image(digits, nrow, scale), path)


def animation_frames(digits: np.ndarray, scale: int, there_and_back: bool = True) -> list[Image.Image]:
    """One upscaled digit per frame. `there_and_back` walks back to the start without repeating the two
    ends, so a looping animation neither jumps nor stalls at the turns."""
    order = list(range(len(digits)))
    if there_and_back:
        order += order[-2:0:-1]
    return [upscale(255 - digits[i], scale) for i in order]


def gif_bytes(digits: np.ndarray, scale: int, there_and_back: bool = True, frame_ms: int = 120) -> bytes:
    """A looping GIF of `animation_frames`."""
    frames = animation_frames(np.asarray(digits, dtype=np.uint8), scale, there_and_back)
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return buf.getvalue()

"""Style mixing as the server offers it: what the REST API's `/v1/mix`, the page's tab and its `/mix`
endpoint all draw and return, over `ModelService.style_sampler` (which says when a model cannot mix).

A mixing grid's row i takes its coarse styles (the digit's shape) from coarse_seeds[i], column j its fine
styles (stroke, texture) from fine_seeds[j]; the picture is `pictures.mixing_picture`, with each row's and
column's own digit along the edges. It knows nothing of HTTP or Gradio.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mnistgan import pictures
from mnistgan.sampling import Sampler
from mnistgan.style_mixing import COARSE_LAYERS, STYLE_LAYERS

MAX_MIX_SEEDS = 32  # seeds a side: a grid of at most 32 x 32 mixes
MAX_CROSSOVER = STYLE_LAYERS - 1
MAX_PSI = 2.0
DEFAULT_COARSE_SEEDS = (0, 1, 2, 3)  # as `mnistgan mix`
DEFAULT_FINE_SEEDS = (10, 11, 12, 13, 14)


@dataclass(frozen=True)
class Mix:
    """One mixing figure's settings; the library checks every value (MnistganError)."""

    coarse_seeds: tuple[int, ...] = DEFAULT_COARSE_SEEDS
    fine_seeds: tuple[int, ...] = DEFAULT_FINE_SEEDS
    digit: int | None = None  # the rows' digit (conditional models; the library's default is 0)
    fine_digit: int | None = None  # the columns' digit (None: the rows')
    crossover: int = COARSE_LAYERS
    psi: float = 1.0

    @property
    def arguments(self) -> tuple:
        """`Sampler.mixing_grid`'s (and `pictures.mixing_picture`'s) arguments, in order."""
        return (list(self.coarse_seeds), list(self.fine_seeds), self.digit, self.fine_digit, self.crossover,
                self.psi)

    def caption(self, name: str, conditional: bool) -> str:
        digits = ""
        if conditional:
            rows = 0 if self.digit is None else self.digit
            cols = rows if self.fine_digit is None else self.fine_digit
            digits = f", digit {rows}" if rows == cols else f", digit {rows} (rows) and {cols} (columns)"
        return (f"{len(self.coarse_seeds)} × {len(self.fine_seeds)} mixes from {name}{digits}: "
                f"layers before {self.crossover} from the row, the rest from the column, psi {self.psi:g}.")


def mixing_grid(sampler: Sampler, mix: Mix) -> np.ndarray:
    """uint8 (rows, cols, 28, 28)."""
    return sampler.mixing_grid(*mix.arguments)


def mixing_picture(sampler: Sampler, mix: Mix) -> Image.Image:
    """The labelled figure, at `pictures.SCALE` screen pixels per MNIST pixel."""
    return pictures.mixing_picture(sampler, *mix.arguments)


def picture_png(picture: Image.Image) -> bytes:
    return pictures.encode_picture(picture, "PNG")


def npz_bytes(grid: np.ndarray, mix: Mix) -> bytes:
    """`images` uint8 [rows, cols, 28, 28] (0 background, 255 ink), `coarse_seeds` int64 [rows] and
    `fine_seeds` int64 [cols]."""
    buf = io.BytesIO()
    np.savez_compressed(buf, images=grid.astype(np.uint8), coarse_seeds=np.asarray(mix.coarse_seeds, dtype=np.int64),
                        fine_seeds=np.asarray(mix.fine_seeds, dtype=np.int64))
    return buf.getvalue()

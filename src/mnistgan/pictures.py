"""Pictures of a model and of a run: interpolations, real vs generated, per-class grids, progress.

Digits go through `grids.tile`/`grids.upscale`, so they always render as dark ink on
white paper, nearest-neighbour upscaled; labels use matplotlib's DejaVu Sans, the
typeface of the plots. Every function returns PIL images ("L" mode); `encode_picture`
turns them into PNG or animated-GIF bytes and `save_picture` writes them atomically.
A run's progress pictures are drawn from the sample arrays training saves each epoch
(read through `RunDir`), not from its PNG grids.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from mnistgan.errors import MnistganError
from mnistgan.fileio import atomic_write_bytes
from mnistgan.grids import gif_bytes, tile, upscale
from mnistgan.presets import get_preset
from mnistgan.train.rundir import RunDir

SCALE = 3  # screen pixels per MNIST pixel in PNG pictures
GIF_SCALE = 8  # one digit per frame in interpolation GIFs: 224 px
PAD = 2  # paper between digits at scale 1, as in grids.tile
CELL = 28 + PAD
LABEL_W = 32  # left margin for row labels
TITLE_H = 30  # title bar above a panel
COL_H = 22  # column labels under the title
GAP = 24  # between panels side by side
INK, MUTED, PAPER = 0, 90, 255
PROGRESS_FRAME_SCALE = 2  # a whole fixed-noise grid per frame, as training draws it
PROGRESS_FRAME_MS, PROGRESS_HOLD_MS = 500, 2000  # progress GIFs rest on the last epoch
INTERPOLATION_FRAME_MS = 90
DIGITS_PER_ROW = 10  # training's fixed-noise grids: a row per digit for conditional runs


@functools.lru_cache(maxsize=8)
def font(size: int = 16) -> ImageFont.ImageFont:
    try:
        from matplotlib import font_manager

        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except (ImportError, OSError, ValueError):
        return ImageFont.load_default(size)


# ---------------------------------------------------------------- layout


def labelled_grid(digits: np.ndarray, ncol: int, scale: int = SCALE, row_labels: list[str] | None = None,
                  title: str | None = None, label_w: int = LABEL_W, col_labels: list[str] | None = None) -> Image.Image:
    """`digits` tiled `ncol` per row; optional labels left of each row and above each column, and a title bar."""
    grid = upscale(tile(digits, ncol, PAD), scale)
    left = label_w if row_labels else 0
    top = (TITLE_H if title else 0) + (COL_H if col_labels else 0)
    canvas = Image.new("L", (left + grid.width, top + grid.height), PAPER)
    canvas.paste(grid, (left, top))
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((left + PAD * scale, TITLE_H // 2), title, fill=INK, font=font(16), anchor="lm")
    for c, label in enumerate(col_labels or []):
        x = left + (PAD + c * CELL + 14) * scale
        draw.text((x, top - 4), str(label), fill=MUTED, font=font(15), anchor="md")
    for r, label in enumerate(row_labels or []):
        y = top + (PAD + r * CELL + 14) * scale
        draw.text((left - 6, y), str(label), fill=MUTED, font=font(15), anchor="rm")
    return canvas


def side_by_side(panels: list[Image.Image], gap: int = GAP) -> Image.Image:
    width = sum(p.width for p in panels) + gap * (len(panels) - 1)
    canvas = Image.new("L", (width, max(p.height for p in panels)), PAPER)
    x = 0
    for p in panels:
        canvas.paste(p, (x, 0))
        x += p.width + gap
    return canvas


def captioned(image: Image.Image, caption: str) -> Image.Image:
    canvas = Image.new("L", (image.width, image.height + TITLE_H), PAPER)
    canvas.paste(image, (0, TITLE_H))
    ImageDraw.Draw(canvas).text((6, TITLE_H // 2), caption, fill=INK, font=font(16), anchor="lm")
    return canvas


def mixing_picture(sampler, coarse_seeds, fine_seeds, digit=None, fine_digit=None, crossover: int = 3,
                   psi: float = 1.0, scale: int = SCALE) -> Image.Image:
    """StyleGAN's style-mixing figure: the fine sources across the top, the coarse sources down the left,
    and in each cell the shape of its row's digit drawn with the stroke and texture of its column's."""
    grid = sampler.mixing_grid(coarse_seeds, fine_seeds, digit, fine_digit, crossover, psi)  # (rows, cols, 28, 28)
    rows, cols = grid.shape[:2]
    fine_digit = digit if fine_digit is None else fine_digit
    top = [sampler.mix(s, s, fine_digit, fine_digit, crossover, psi) for s in fine_seeds]
    left = [sampler.mix(s, s, digit, digit, crossover, psi) for s in coarse_seeds]
    blank = np.zeros((28, 28), dtype=np.uint8)  # paper: MNIST polarity, no ink
    cells = [blank, *top]
    for r in range(rows):
        cells += [left[r], *grid[r]]
    title = f"style mixing, crossover {crossover}" + (f", psi {psi:g}" if psi != 1 else "")
    return labelled_grid(np.stack(cells), cols + 1, scale, title=title,
                         row_labels=["fine"] + [f"seed {s}" for s in coarse_seeds], label_w=72,
                         col_labels=["coarse"] + [f"{s}" for s in fine_seeds])


# ---------------------------------------------------------------- sampling


def samples_per_class(sampler, per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """10 * per_class digits: a row of `per_class` per digit (conditional) or 10 rows of samples."""
    if not 1 <= per_class <= 100:
        raise MnistganError(f"per-class must be between 1 and 100, got {per_class}")
    digits = [d for d in range(10) for _ in range(per_class)] if sampler.conditional else None
    return sampler.sample(10 * per_class, digits, seed)


def real_per_class(images: torch.Tensor, labels: torch.Tensor, per_class: int, seed: int = 0,
                   by_class: bool = True) -> np.ndarray:
    """Real digits in the same layout as `samples_per_class`: seeded picks, a row per digit if `by_class`."""
    g = torch.Generator().manual_seed(seed)
    if not by_class:
        return images[torch.randperm(len(images), generator=g)[: 10 * per_class]].numpy()
    picks = []
    for d in range(10):
        idx = torch.nonzero(labels == d).flatten()
        picks.append(images[idx[torch.randperm(len(idx), generator=g)[:per_class]]])
    return torch.cat(picks).numpy()


# ---------------------------------------------------------------- pictures


def class_grid(images: np.ndarray, per_class: int, conditional: bool, title: str | None = None,
               scale: int = SCALE) -> Image.Image:
    """A row per digit (labelled 0-9) for conditional models; plain rows otherwise."""
    labels = [str(d) for d in range(10)] if conditional else None
    return labelled_grid(images, per_class, scale, labels, title)


def real_vs_fake(real: np.ndarray, fake: np.ndarray, per_class: int, conditional: bool, model_name: str,
                 scale: int = SCALE) -> Image.Image:
    """Real test digits and generated digits, same layout, side by side with titles."""
    return side_by_side([
        class_grid(real, per_class, conditional, "Real: MNIST test digits", scale),
        class_grid(fake, per_class, conditional, f"Generated: {_short(model_name)}", scale),
    ])


def interpolation_strip(images: np.ndarray, caption: str | None = None, scale: int = SCALE) -> Image.Image:
    return labelled_grid(images, len(images), scale, title=caption)


def interpolation_gif(images: np.ndarray, scale: int = GIF_SCALE, duration_ms: int = INTERPOLATION_FRAME_MS) -> bytes:
    """The looping there-and-back animation of interpolated uint8 digits (N, 28, 28), as GIF bytes."""
    return gif_bytes(images, scale, there_and_back=True, frame_ms=duration_ms)


def neighbour_pairs(fake: np.ndarray, nearest: np.ndarray, scale: int = SCALE) -> Image.Image:
    """Generated digits above their nearest training digits."""
    return labelled_grid(np.concatenate([fake, nearest]), len(fake), scale,
                         row_labels=["generated", "training"], label_w=96)


def interpolation_caption(sampler, from_digit, to_digit, seeds, slerp: bool) -> str:
    walk = f"seed {seeds[0]} \u2192 {seeds[1]}, {'slerp' if slerp else 'lerp'}"
    if not sampler.conditional:
        return walk
    a = 0 if from_digit is None else from_digit
    b = a if to_digit is None else to_digit
    return f"digit {a} \u2192 {b}, {walk}"


# ---------------------------------------------------------------- training progress


def pick_epochs(epochs: list, most: int) -> list:
    """At most `most` items, evenly spread, always keeping the first and the last."""
    if len(epochs) <= most:
        return list(epochs)
    idx = np.unique(np.linspace(0, len(epochs) - 1, most).round().astype(int))
    return [epochs[i] for i in idx]


def sample_epochs(run_dir: str | os.PathLike) -> list[int]:
    """The epochs whose fixed-noise samples the run saved, in order; an error if there are none."""
    epochs = RunDir(run_dir).sample_epochs()
    if not epochs:
        raise MnistganError(f"{run_dir}: no samples saved by training yet "
                            "(is it a run directory from `mnistgan train`, of at least one epoch?)")
    return epochs


def fixed_noise_columns(run_dir: str | os.PathLike, epochs: list[int]) -> np.ndarray:
    """(len(epochs), up to 10, 28, 28): per epoch, the first digit of each fixed-noise grid row; the same noise
    vector throughout, so a column shows one digit (conditional) or one noise vector (unconditional) evolve."""
    run = RunDir(run_dir)
    rows = []
    for epoch in epochs:
        digits, _ = run.read_samples(epoch)
        rows.append(digits[:: len(digits) // DIGITS_PER_ROW][:DIGITS_PER_ROW] if len(digits) >= DIGITS_PER_ROW
                    else digits)
    ncol = max(len(r) for r in rows)
    return np.stack([np.pad(r, ((0, ncol - len(r)), (0, 0), (0, 0))) for r in rows])


def progress_collage(run_dir: str | os.PathLike, most: int = 12, scale: int = SCALE) -> Image.Image:
    """A row per epoch (at most `most`), the first fixed-noise digit of each grid row (`fixed_noise_columns`)."""
    epochs = pick_epochs(sample_epochs(run_dir), most)
    columns = fixed_noise_columns(run_dir, epochs)
    ncol = columns.shape[1]
    digit_labels = [str(d) for d in range(ncol)] if run_is_conditional(run_dir) else None
    return labelled_grid(columns.reshape(-1, 28, 28), ncol, scale, [f"epoch {e}" for e in epochs],
                         "Fixed noise through training", label_w=80, col_labels=digit_labels)


def run_is_conditional(run_dir: str | os.PathLike) -> bool:
    """Whether the run's preset draws chosen digits (its fixed-noise grids then hold a row per digit)."""
    try:
        return get_preset(RunDir(run_dir).train_config()["preset"]).conditional
    except (KeyError, TypeError, MnistganError):
        return False


def progress_frames(run_dir: str | os.PathLike, most: int = 60) -> list[Image.Image]:
    """Every epoch's fixed-noise grid (at most `most`), drawn as training draws it and captioned with its epoch."""
    run = RunDir(run_dir)
    epochs = pick_epochs(sample_epochs(run_dir), most)
    return [captioned(labelled_grid(run.read_samples(e)[0], DIGITS_PER_ROW, PROGRESS_FRAME_SCALE),
                      f"epoch {e} of {epochs[-1]}") for e in epochs]


# ---------------------------------------------------------------- writing


def encode_picture(picture: Image.Image | list[Image.Image], fmt: str = "PNG", duration_ms: int = 120,
                   hold_last_ms: int | None = None) -> bytes:
    """PNG bytes of one image (the last, for a list); looping animated-GIF bytes of a list of frames (or one image)."""
    buf = io.BytesIO()
    if fmt.upper() == "GIF":
        frames = picture if isinstance(picture, list) else [picture]
        durations = [duration_ms] * len(frames)
        if hold_last_ms is not None:
            durations[-1] = hold_last_ms
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    else:
        (picture[-1] if isinstance(picture, list) else picture).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def write_picture_file(data: bytes, path: str | os.PathLike) -> None:
    """Encoded picture bytes to `path`, atomically; a one-line error if that fails."""
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise MnistganError(f"{path}: cannot write ({e.strerror or e})") from None


def save_picture(picture: Image.Image | list[Image.Image], path: str | os.PathLike, duration_ms: int = 120,
                 hold_last_ms: int | None = None) -> None:
    """PNG for one image; an animated, looping GIF for a list of frames (or one image to .gif)."""
    fmt = "GIF" if Path(path).suffix.lower() == ".gif" else "PNG"
    write_picture_file(encode_picture(picture, fmt, duration_ms, hold_last_ms), path)


def _short(name: str, most: int = 40) -> str:
    return name if len(name) <= most else "\u2026" + name[-(most - 1):]

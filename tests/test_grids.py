"""Digit grids and animations: the one column rule and the there-and-back GIF."""

import io

import numpy as np
from PIL import Image

from mnistgan.grids import animation_frames, gif_bytes, grid_columns


def test_ten_columns_only_when_a_conditional_model_cycles_the_digits_itself():
    assert grid_columns(True, None, 20) == 10
    assert grid_columns(True, None, 9) is None  # fewer than one of each: square
    assert grid_columns(True, 7, 20) is None
    assert grid_columns(True, [3, 4], 20) is None
    assert grid_columns(False, None, 20) is None


def digits(n):
    return np.stack([np.full((28, 28), 20 * i, dtype=np.uint8) for i in range(n)])


def test_there_and_back_repeats_no_frame_at_the_turns():
    frames = animation_frames(digits(10), scale=2)
    shades = [f.getpixel((0, 0)) for f in frames]
    assert shades == [255 - 20 * i for i in [*range(10), *range(8, 0, -1)]]
    assert frames[0].size == (56, 56)
    assert len(animation_frames(digits(10), scale=2, there_and_back=False)) == 10


def test_gif_bytes_is_a_looping_gif_of_the_frames():
    with Image.open(io.BytesIO(gif_bytes(digits(10), scale=3))) as gif:
        assert gif.format == "GIF" and gif.n_frames == 18 and gif.size == (84, 84)
        assert gif.info["loop"] == 0 and gif.info["duration"] == 120

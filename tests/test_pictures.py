"""The picture commands on a real tiny run: files exist, open, and have the sizes the layout promises."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from mnistgan import pictures
from mnistgan.cli import main
from mnistgan.train.rundir import RunDir
from tests.picture_runs import fake_sample_grids, tiny_run, unconditional_model

S = pictures.SCALE
GRID_W = (10 * 30 + 2) * S  # 10 digits in a row at the picture scale


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    return tiny_run(tmp_path_factory)


def cli(*args) -> None:
    main([str(a) for a in args])


def fails(capsys, *args) -> str:
    with pytest.raises(SystemExit) as e:
        cli(*args)
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def opened(path):
    with Image.open(path) as im:
        im.load()
        return im.format, im.size, getattr(im, "n_frames", 1)


def test_interpolate_png_is_a_captioned_strip_of_steps(run, tmp_path):
    cli("interpolate", "--model", run, "--from-digit", 3, "--to-digit", 8, "--seeds", 4, 5, "--steps", 7,
        "--out", tmp_path / "walk.png")
    assert opened(tmp_path / "walk.png") == ("PNG", ((7 * 30 + 2) * S, pictures.TITLE_H + 32 * S), 1)


def test_interpolate_gif_goes_there_and_back(run, tmp_path):
    cli("interpolate", "--model", run / "model", "--from-digit", 1, "--to-digit", 7, "--steps", 6, "--slerp",
        "--out", tmp_path / "walk.gif")
    side = 28 * pictures.GIF_SCALE
    assert opened(tmp_path / "walk.gif") == ("GIF", (side, side), 6 + 4)


def test_compare_puts_real_and_generated_side_by_side(run, tmp_path):
    cli("compare", "--model", run, "--per-class", 4, "--out", tmp_path / "cmp.png")
    panel_w = pictures.LABEL_W + (4 * 30 + 2) * S
    assert opened(tmp_path / "cmp.png") == ("PNG", (2 * panel_w + pictures.GAP, pictures.TITLE_H + (10 * 30 + 2) * S), 1)
    with Image.open(tmp_path / "cmp.png") as im:
        a = np.asarray(im.convert("L"))
    assert a.min() < 50 and a.max() == 255  # ink on paper, not a blank page


def test_grid_has_a_labelled_row_per_digit(run, tmp_path):
    cli("grid", "--model", run, "--per-class", 5, "--seed", 3, "--out", tmp_path / "grid.png")
    assert opened(tmp_path / "grid.png") == ("PNG", (pictures.LABEL_W + (5 * 30 + 2) * S, (10 * 30 + 2) * S), 1)


def test_unconditional_model_grid_and_interpolation(tmp_path, capsys):
    model = unconditional_model(tmp_path / "uncond")
    cli("grid", "--model", model, "--per-class", 3, "--out", tmp_path / "grid.png")
    assert opened(tmp_path / "grid.png")[1] == ((3 * 30 + 2) * S, (10 * 30 + 2) * S)  # no row labels
    cli("interpolate", "--model", model, "--steps", 4, "--out", tmp_path / "walk.png")
    assert opened(tmp_path / "walk.png")[1] == ((4 * 30 + 2) * S, pictures.TITLE_H + 32 * S)
    err = fails(capsys, "interpolate", "--model", model, "--from-digit", 3, "--out", tmp_path / "x.png")
    assert "unconditional" in err


def test_commands_work_on_a_bundled_model(tmp_path):
    from mnistgan.registry import all_models

    bundled = [r for r in all_models() if r.bundled]
    if not bundled:
        pytest.skip("no bundled models in this checkout")
    name = bundled[0].id
    cli("grid", "--model", name, "--per-class", 2, "--out", tmp_path / "grid.png")
    cli("compare", "--model", name, "--per-class", 2, "--out", tmp_path / "cmp.png")
    cli("interpolate", "--model", name, "--steps", 3, "--out", tmp_path / "walk.gif")
    conditional = json.loads((bundled[0].path / "config.json").read_text())["num_classes"] > 0
    labels = pictures.LABEL_W if conditional else 0
    assert opened(tmp_path / "grid.png") == ("PNG", (labels + (2 * 30 + 2) * S, (10 * 30 + 2) * S), 1)
    assert opened(tmp_path / "cmp.png")[1][1] == pictures.TITLE_H + (10 * 30 + 2) * S
    assert opened(tmp_path / "walk.gif")[2] == 4


def test_progress_of_a_real_run(run, tmp_path):
    cli("progress", run, "--out", tmp_path / "progress.png")
    epochs = len(RunDir(run).sample_epochs())
    height = pictures.TITLE_H + pictures.COL_H + (epochs * 30 + 2) * S  # a conditional run: digits above columns
    assert opened(tmp_path / "progress.png") == ("PNG", (80 + GRID_W, height), 1)


def test_progress_gif_has_a_frame_per_epoch(tmp_path):
    fake_sample_grids(tmp_path, epochs=(1, 2, 5))
    cli("progress", tmp_path, "--out", tmp_path / "progress.gif")
    assert opened(tmp_path / "progress.gif") == ("GIF", ((10 * 30 + 2) * 2, pictures.TITLE_H + (10 * 30 + 2) * 2), 3)
    cli("progress", tmp_path, "--out", tmp_path / "progress.png")
    assert opened(tmp_path / "progress.png")[1] == (80 + GRID_W, pictures.TITLE_H + (3 * 30 + 2) * S)
    cli("progress", tmp_path, "--rows", 2, "--out", tmp_path / "progress.png")  # epochs 1 and 5
    assert opened(tmp_path / "progress.png")[1] == (80 + GRID_W, pictures.TITLE_H + (2 * 30 + 2) * S)


@pytest.mark.bad_input("cli", n=6)
def test_bad_inputs_are_one_line_errors(run, tmp_path, capsys):
    assert "output must end in .png or .gif" in fails(capsys, "interpolate", "--model", run, "--out", tmp_path / "a.jpg")
    assert "output must end in .png" in fails(capsys, "compare", "--model", run, "--out", tmp_path / "a.gif")
    (tmp_path / "file").write_text("")
    assert "is not a directory" in fails(capsys, "grid", "--model", run, "--out", tmp_path / "file" / "g.png")
    assert "no such run directory" in fails(capsys, "progress", tmp_path / "nowhere", "--out", tmp_path / "p.png")
    assert "no samples" in fails(capsys, "progress", run / "model", "--out", tmp_path / "p.png")
    assert "no such model folder" in fails(capsys, "grid", "--model", tmp_path / "nowhere", "--out", tmp_path / "g.png")


def test_progress_shows_the_digits_training_saved(tmp_path):
    written = fake_sample_grids(tmp_path, epochs=(1, 4))
    columns = pictures.fixed_noise_columns(tmp_path, [1, 4])
    assert columns.shape == (2, 10, 28, 28)
    for row, epoch in zip(columns, (1, 4)):
        assert np.array_equal(row, written[epoch][::10])  # the first digit of each grid row


@pytest.mark.bad_input("file")
def test_unreadable_sample_arrays_are_a_one_line_error(tmp_path, capsys):
    fake_sample_grids(tmp_path, epochs=(1, 2))
    broken = RunDir(tmp_path).sample_arrays_path(2)
    broken.write_bytes(b"not an npz")
    err = fails(capsys, "progress", tmp_path, "--out", tmp_path / "p.png")
    assert "not readable sample arrays" in err and str(broken) in err


def test_pick_epochs_keeps_the_ends_and_spreads_the_rest():
    assert pictures.pick_epochs(list(range(1, 6)), 12) == [1, 2, 3, 4, 5]
    picked = pictures.pick_epochs(list(range(1, 101)), 5)
    assert picked[0] == 1 and picked[-1] == 100 and len(picked) == 5


@pytest.mark.parametrize("command", ["interpolate", "compare", "grid", "progress", "report"])
def test_every_picture_command_has_help(command, capsys):
    main([command, "--help"])
    assert "Usage" in capsys.readouterr().out


def style_model(path):
    """A tiny stylegan generator, as training would export it (untrained weights are enough for the picture)."""
    import torch

    from mnistgan.nets import Generator

    torch.manual_seed(0)
    Generator("stylegan", 16, 10, 4).save_pretrained(path)
    return path


def test_mix_draws_sources_and_mixes_on_a_labelled_grid(tmp_path):
    out = tmp_path / "mix.png"
    cli("mix", "--model", style_model(tmp_path / "style"), "--coarse-seed", 1, "--coarse-seed", 2,
        "--fine-seed", 5, "--fine-seed", 6, "--fine-seed", 7, "--digit", 3, "--out", out)
    fmt, (w, h), _ = opened(out)
    assert fmt == "PNG" and w > 4 * 28 * S and h > 3 * 28 * S  # 3 rows (sources + 2) x 4 columns (sources + 3)


@pytest.mark.bad_input("cli", n=2)
def test_mix_of_a_model_without_styles_or_a_bad_crossover_is_one_line(run, tmp_path, capsys):
    assert "no style layers" in fails(capsys, "mix", "--model", run, "--out", tmp_path / "m.png")
    with pytest.raises(SystemExit) as e:  # out of range: typer's usage error
        cli("mix", "--model", style_model(tmp_path / "s"), "--crossover", 9, "--out", tmp_path / "m.png")
    assert e.value.code == 2

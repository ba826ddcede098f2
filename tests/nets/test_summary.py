"""Architecture summaries: every layer with its output shape and parameters, adding up to the model."""

import pytest

from mnistgan.cli import main
from mnistgan.nets import count_parameters
from mnistgan.nets.summary import as_markdown, as_text, summarize_gan
from mnistgan.presets import PRESETS, discriminator_for, generator_for


@pytest.mark.parametrize("name", list(PRESETS))
def test_summary_rows_add_up_to_the_parameter_counts_and_end_in_an_image(name):
    p = PRESETS[name]
    G, D = generator_for(p, 16, 8), discriminator_for(p, 8)
    tables = summarize_gan(G, D)
    assert sum(r.parameters for r in tables["Generator"]) == count_parameters(G)
    assert sum(r.parameters for r in tables["Discriminator"]) == count_parameters(D)
    shapes = {r.output_shape for r in tables["Generator"]}  # an image: (1, 28, 28), or (784,) before the MLP's reshape
    assert (1, 28, 28) in shapes or (784,) in shapes
    assert G.training and D.training  # summarizing ran in eval mode and put them back


def test_dcgan_summary_shows_the_7_14_28_ladder():
    p = PRESETS["dcgan"]
    shapes = [r.output_shape for r in summarize_gan(generator_for(p, 16, 8))["Generator"]]
    assert (16, 14, 14) in shapes or (8, 14, 14) in shapes
    assert shapes[-1] == (1, 28, 28)


def test_markdown_and_text_name_every_layer():
    p = PRESETS["mlp-gan"]
    tables = summarize_gan(generator_for(p, 16, 8), discriminator_for(p, 8))
    md, text = as_markdown(tables), as_text(tables)
    for row in tables["Generator"] + tables["Discriminator"]:
        assert row.name in md and row.name in text
    assert "### Generator" in md and "total parameters" in text


def test_presets_summary_cli_prints_g_and_d(capsys):
    main(["presets", "--summary", "cdcgan"])
    out = capsys.readouterr().out
    assert "Generator" in out and "Discriminator" in out and "(1, 28, 28)" in out


@pytest.mark.bad_input("cli")
def test_presets_summary_of_an_unknown_preset_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        main(["presets", "--summary", "nope"])
    assert e.value.code == 1
    assert capsys.readouterr().err.startswith("error: unknown preset 'nope'")

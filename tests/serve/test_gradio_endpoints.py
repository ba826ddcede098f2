"""The page's named Gradio endpoints, driven by `gradio_client` against a live `mnistgan serve`
(the bundled models and an untrained StyleGAN: no training), as a script calls a Space through "Use via API"."""


import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from mnistgan import pictures
from mnistgan.nets import load_generator
from mnistgan.sampling import Sampler
from mnistgan.serve.ui.endpoints import PUBLIC_ENDPOINTS
from tests.serve.serving import STYLE_MODEL, LiveServer, add_style_model

GENERATE_PARAMETERS = {"model": "str", "digit": "None | int", "count": "int", "seed": "int",
                       "truncation": "None | float", "temperature": "float"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("gradio-endpoints")
    add_style_model(root / "home", STYLE_MODEL)
    with LiveServer(root / "home", root / "votes.sqlite") as s:
        yield s


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    return Client(server.url + "/", verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


def test_exactly_the_public_endpoints_are_listed(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/generate", "/interpolate", "/mix"} == {f"/{n}" for n in PUBLIC_ENDPOINTS}
    assert api["unnamed_endpoints"] == {}
    generate = api["named_endpoints"]["/generate"]
    assert {p["parameter_name"]: p["python_type"]["type"] for p in generate["parameters"]} == GENERATE_PARAMETERS
    assert list(GENERATE_PARAMETERS) == [p["parameter_name"] for p in generate["parameters"]]  # in this order
    assert [r["python_type"]["type"] for r in generate["returns"]] == ["filepath", "filepath", "str"]
    with pytest.raises(ValueError, match="Cannot find a function"):  # the page's own events stay private
        client.predict(api_name="/vote")


def test_generate_returns_the_grid_and_the_digits_the_sampler_draws(client):
    png, npz, caption = client.predict(model="cdcgan", digit=7, count=16, seed=3, truncation=1.0, temperature=0.8,
                                       api_name="/generate")
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (2 * (4 * 30 + 2),) * 2  # 4 x 4 digits, 2 px gaps, upscaled 2x
    with np.load(npz) as z:
        images, labels = z["images"], z["labels"]
    expected, _ = Sampler.from_pretrained("cdcgan").sample(16, 7, 3, 1.0, 0.8)
    np.testing.assert_array_equal(images, expected)
    assert labels.tolist() == [7] * 16
    assert caption == "16 × digit 7 from cdcgan@1, seed 3, temperature 0.8, truncation 1."


def test_interpolate_returns_a_strip_and_an_animation(client):
    strip, gif = client.predict(model="cdcgan", from_digit=1, to_digit=7, from_seed=0, to_seed=1, steps=5,
                                api_name="/interpolate")
    with Image.open(strip) as im:
        assert im.size == (2 * (5 * 30 + 2), 2 * 32)  # 5 frames in a row
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 2 * 5 - 2  # there and back
    unconditional, _ = client.predict(model="dcgan", steps=3, api_name="/interpolate")
    with Image.open(unconditional) as im:
        assert im.size == (2 * (3 * 30 + 2), 2 * 32)


def test_mix_returns_the_mixing_picture_and_the_grid(client, server):
    png, npz = client.predict(model=STYLE_MODEL, coarse_seeds=[0, 1], fine_seeds=[2, 3, 4], digit=5, fine_digit=6,
                              crossover=4, psi=0.5, api_name="/mix")
    sampler = Sampler(load_generator(server.home / "models" / STYLE_MODEL / "v1"), f"{STYLE_MODEL}@1")
    arguments = ([0, 1], [2, 3, 4], 5, 6, 4, 0.5)
    with Image.open(png) as im:
        assert im.format == "PNG"
        np.testing.assert_array_equal(np.asarray(im.convert("L")),
                                      np.asarray(pictures.mixing_picture(sampler, *arguments)))
    with np.load(npz) as z:
        assert z["images"].tobytes() == sampler.mixing_grid(*arguments).tobytes()
        assert z["images"].shape == (2, 3, 28, 28)
        assert (z["coarse_seeds"].tolist(), z["fine_seeds"].tolist()) == ([0, 1], [2, 3, 4])
    mix = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/mix"]
    assert [p["parameter_name"] for p in mix["parameters"]] == ["model", "coarse_seeds", "fine_seeds", "digit",
                                                                "fine_digit", "crossover", "psi"]
    assert [r["python_type"]["type"] for r in mix["returns"]] == ["filepath", "filepath"]


BAD_CALLS = [
    ("/generate", {"model": "nope"}, "unknown model 'nope'; known models: "),
    ("/generate", {"model": "../etc/passwd"}, "invalid model name"),
    ("/generate", {"count": 65}, "count must be a whole number from 1 to 64, got 65"),
    ("/generate", {"digit": "7"}, "digit must be a whole number from 0 to 9, got '7'"),
    ("/generate", {"model": "dcgan", "digit": 3}, "dcgan@1 is unconditional"),
    ("/generate", {"truncation": 0}, "truncation must be a number in (0, 100]"),
    ("/generate", {"temperature": "hot"}, "temperature must be a number, got 'hot'"),
    ("/interpolate", {"steps": 1}, "steps must be a whole number from 2 to 32, got 1"),
    ("/interpolate", {"model": "dcgan", "from_digit": 1}, "cannot interpolate between digits"),
    ("/interpolate", {"to_seed": -1}, "to_seed must be a whole number from 0 to"),
    ("/mix", {"model": "cdcgan"}, "cdcgan@1 has no style layers to mix: style mixing needs a style-based model"),
    ("/mix", {"model": "nope"}, "unknown model 'nope'"),
    ("/mix", {"model": STYLE_MODEL, "crossover": 6}, "crossover must be a whole number from 1 to 5, got 6"),
    ("/mix", {"model": STYLE_MODEL, "coarse_seeds": list(range(33))}, "coarse_seeds must be a list of 1 to 32 seeds"),
    ("/mix", {"model": STYLE_MODEL, "fine_seeds": []}, "fine_seeds must be a list of 1 to 32 seeds, got []"),
    ("/mix", {"model": STYLE_MODEL, "fine_seeds": [1, -2]}, "each of fine_seeds must be a whole number from 0 to"),
    ("/mix", {"model": STYLE_MODEL, "psi": 3}, "psi must be a number between 0 and 2, got 3.0"),
]


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("endpoint, arguments, message", BAD_CALLS, ids=[f"{e}-{a}"[:70] for e, a, _ in BAD_CALLS])
def test_a_bad_input_is_an_error_with_a_one_line_message(client, endpoint, arguments, message):
    with pytest.raises(AppError) as refused:
        client.predict(**arguments, api_name=endpoint)
    assert message in str(refused.value) and "\n" not in str(refused.value)

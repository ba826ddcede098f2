"""The web page in Debian's Chromium through Playwright, against a live `mnistgan serve`.

Screenshots of each tab go to test-artifacts/ (git-ignored) for a human to look at.
"""

import io
import math

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from mnistgan import pictures
from mnistgan.nets import load_generator
from mnistgan.sampling import Sampler
from mnistgan.votes import VoteStore
from tests.browser import launch, requires_chromium
from tests.conftest import REPO
from tests.serve.serving import STYLE_MODEL, LiveServer, tiny_home

pytestmark = [pytest.mark.browser, requires_chromium]

ARTIFACTS = REPO / "test-artifacts"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(mnist_cache, tmp_path_factory):
    with LiveServer(tiny_home(), tmp_path_factory.mktemp("browser") / "votes.sqlite", bundled=False) as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server.url, "data:", "blob:")) else None)
    page.goto(server.url + "/")
    page.wait_for_selector("#gen-button")
    yield page
    context.close()
    assert not outside, f"the page reached outside the server: {outside[:5]}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)  # let transitions settle
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"), full_page=True)


def image_size(page, selector: str) -> tuple[int, int]:
    img = page.locator(f"{selector} img").first
    img.wait_for()
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    return tuple(img.evaluate("el => [el.naturalWidth, el.naturalHeight]"))


def fetch(page, selector: str) -> bytes:
    src = page.locator(f"{selector} img").first.get_attribute("src")
    return page.request.get(src).body()


def test_generate_digit_7_shows_a_grid_of_the_right_size(page):
    page.locator("#gen-digit").get_by_label("7", exact=True).check()
    page.locator("#gen-button").click()
    page.wait_for_selector("#gen-caption:has-text('digit 7')")
    # 16 digits: 4 x 4 tiles of 28 px with 2 px gaps, upscaled 4x.
    assert image_size(page, "#gen-image") == (4 * (4 * 30 + 2),) * 2
    with Image.open(io.BytesIO(fetch(page, "#gen-image"))) as im:
        assert im.format == "PNG"
    assert "tiny-cond@2" in page.locator("#gen-caption").inner_text()
    shot(page, "generate")


def slider_value(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} input[type=number]").input_value()


def set_slider(page, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(value)
    box.press("Enter")
    expect(box).to_have_value(value)


def tiles(png: bytes, count: int, scale: int = 4) -> list[bytes]:
    """The digits of a square grid picture (28 px tiles, 2 px gaps, upscaled `scale` times), each as pixels."""
    side = math.isqrt(count)
    with Image.open(io.BytesIO(png)) as im:
        grid = np.asarray(im.convert("L"))
    step, size = 30 * scale, 28 * scale
    return [grid[2 * scale + r * step:][:size, 2 * scale + c * step:][:, :size].tobytes()
            for r in range(side) for c in range(side)]


def test_a_preset_sets_the_knobs_and_redraws(page):
    page.locator("#gen-digit").get_by_label("7", exact=True).check()
    page.locator("#gen-seed input").fill("5")
    page.locator("#gen-button").click()
    caption = page.locator("#gen-caption")
    expect(caption).to_contain_text("seed 5, temperature 1, no truncation.")
    before = fetch(page, "#gen-image")

    page.locator("#preset-crisp").click()
    expect(caption).to_contain_text("seed 0, temperature 0.7, truncation 1.")
    assert page.locator("#gen-seed input").input_value() == "0"
    assert (slider_value(page, "gen-temperature"), slider_value(page, "gen-truncation")) == ("0.7", "1")
    expect(page.locator("#gen-preset-note")).to_contain_text("Crisp: clean, typical strokes")
    crisp = fetch(page, "#gen-image")
    assert crisp != before and len(set(tiles(crisp, 16))) > 1  # sixteen different sevens
    shot(page, "generate-presets")

    page.locator("#preset-prototype").click()  # no noise: the model's one drawing of a 7, sixteen times
    expect(caption).to_contain_text("seed 0, temperature 0, no truncation.")
    assert slider_value(page, "gen-temperature") == "0"
    assert len(set(tiles(fetch(page, "#gen-image"), 16))) == 1


def test_unconditional_model_locks_the_digit_picker(page):
    page.locator("#gen-model input").click()
    page.get_by_role("option", name="tiny-uncond@1", exact=False).click()
    page.wait_for_function("() => document.querySelector('#gen-digit input[value=\"7\"]').disabled")
    page.locator("#gen-button").click()
    page.wait_for_selector("#gen-caption:has-text('any digit')")


def test_interpolate_produces_frames_and_an_animation(page):
    page.get_by_role("tab", name="Interpolate").click()
    page.locator("#int-button").click()
    # 10 frames in a row: (10 x 30 + 2) by (30 + 2) px, upscaled 2x.
    assert image_size(page, "#int-strip") == (2 * (10 * 30 + 2), 2 * 32)
    image_size(page, "#int-gif")
    with Image.open(io.BytesIO(fetch(page, "#int-gif"))) as gif:
        assert gif.format == "GIF" and gif.n_frames == 2 * 10 - 2  # there and back
    shot(page, "interpolate")


def test_style_mixing_draws_the_mixing_picture(page, server):
    page.get_by_role("tab", name="Style mixing").click()
    # The tab starts on the style-based model, the only one here that can mix.
    expect(page.locator("#mix-model input")).to_have_value(f"{STYLE_MODEL}@1 · stylegan · conditional")
    expect(page.locator("#mix-note")).to_contain_text(f"{STYLE_MODEL}@1 can mix styles")
    page.locator("#mix-coarse input, #mix-coarse textarea").first.fill("0, 1, 2")
    page.locator("#mix-fine input, #mix-fine textarea").first.fill("5 6")
    page.locator("#mix-button").click()
    expect(page.locator("#mix-caption")).to_contain_text(f"3 × 2 mixes from {STYLE_MODEL}@1, digit 7")
    sampler = Sampler(load_generator(server.home / "models" / STYLE_MODEL / "v1"), f"{STYLE_MODEL}@1")
    expected = pictures.mixing_picture(sampler, [0, 1, 2], [5, 6], 7, None, 3, 1.0)
    assert image_size(page, "#mix-image") == expected.size
    with Image.open(io.BytesIO(fetch(page, "#mix-image"))) as im:
        np.testing.assert_array_equal(np.asarray(im.convert("L")), np.asarray(expected))
    shot(page, "mix")


def test_style_mixing_says_plainly_when_a_model_cannot_mix(page):
    page.get_by_role("tab", name="Style mixing").click()
    page.locator("#mix-model input").click()
    page.get_by_role("option", name="tiny-cond@2", exact=False).click()
    expect(page.locator("#mix-note")).to_contain_text("This model cannot mix styles: tiny-cond@2 has no style layers")
    expect(page.locator("#mix-button")).to_be_disabled()
    page.locator("#mix-model input").click()
    page.get_by_role("option", name=f"{STYLE_MODEL}@1", exact=False).click()
    expect(page.locator("#mix-button")).to_be_enabled()


def test_an_ab_vote_is_recorded_and_shown(page, server):
    page.get_by_role("tab", name="Compare (A/B)").click()
    assert page.locator("#vote-left").is_disabled()
    page.locator("#cmp-button").click()
    image_size(page, "#cmp-left")
    image_size(page, "#cmp-right")
    page.locator("#vote-left").click()
    page.wait_for_selector("#cmp-status:has-text('Vote recorded')")
    table = page.locator("#vote-table")
    expect(table).to_contain_text("tiny-cond@1")
    assert "0%" in table.inner_text()  # A (tiny-cond@1, first by name) was on the right and lost
    assert page.locator("#vote-left").is_disabled()  # one vote per comparison
    rates = VoteStore(server.votes_db).win_rates()
    assert [(p.a, p.b, p.wins_a, p.wins_b) for p in rates] == [("tiny-cond@1", "tiny-cond@2", 0, 1)]
    shot(page, "compare")


def test_the_settings_comparison_draws_one_model_two_ways(page):
    page.get_by_role("tab", name="Compare (A/B)").click()
    page.locator("#cmp-mode").get_by_label("Two settings of one model").check()
    expect(page.locator("#cmp-settings")).to_be_visible()
    expect(page.locator("#cmp-b")).to_be_hidden()  # one model
    expect(page.locator("#vote-left")).to_be_hidden()  # votes are for models
    assert (slider_value(page, "cmp-left-temperature"), slider_value(page, "cmp-right-temperature")) == ("0.7", "1.3")
    page.locator("#cmp-button").click()
    status = page.locator("#cmp-status")
    expect(status).to_contain_text("tiny-cond@2, the same seeds under two settings. "
                                   "Left: temperature 0.7, truncation 1; Right: temperature 1.3, no truncation.")
    expect(page.locator("#cmp-right")).to_contain_text("Right: temperature 1.3, no truncation")
    assert fetch(page, "#cmp-left") != fetch(page, "#cmp-right")
    shot(page, "compare-settings")

    # Both sides alike: the same seeds draw the same picture, so the difference above was the settings'.
    set_slider(page, "cmp-right-temperature", "0.7")
    set_slider(page, "cmp-right-truncation", "1")
    page.locator("#cmp-button").click()
    expect(page.locator("#cmp-right")).to_contain_text("Right: temperature 0.7, truncation 1")
    assert fetch(page, "#cmp-left") == fetch(page, "#cmp-right")

    page.locator("#cmp-mode").get_by_label("Two models").check()
    expect(page.locator("#cmp-b")).to_be_visible()
    expect(page.locator("#vote-left")).to_be_visible()
    assert page.locator("#vote-left").is_disabled()  # nothing on screen to vote on yet


def test_model_info_shows_the_card_and_training_curves(page):
    page.get_by_role("tab", name="Model info").click()
    page.wait_for_selector("#info-card:has-text('mnistgan model')")
    assert image_size(page, "#info-curves")[0] > 100  # the model folder's copy of its run's losses.png
    # tiny-cond@2 shows the figures its training measured at the end
    expect(page.locator("#info-metrics")).to_be_visible()
    page.locator("#info-model input").click()
    page.get_by_role("option", name="tiny-cond@1", exact=False).click()
    metrics = page.locator("#info-metrics")
    expect(metrics).to_contain_text("287.5")
    assert "0.75" in metrics.inner_text()  # the real-data floor beside it
    shot(page, "model-info")


def test_the_page_tells_a_newcomer_what_it_is(page, server):
    text = page.locator("body").inner_text()
    assert "handwritten digits" in text and "REST API" in text
    assert httpx.get(server.url + "/docs").status_code == 200

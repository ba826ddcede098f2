"""`mnistgan report`: a self-contained HTML page whose every image decodes, that degrades section by section."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil

import pytest
from PIL import Image

from mnistgan import report
from mnistgan.cli import main
from mnistgan.model_folder import read_info, write_info
from tests.browser import launch, requires_chromium
from tests.picture_runs import fake_sample_grids, tiny_run

IMG = re.compile(r'<img [^>]*src="([^"]*)"[^>]*width="(\d+)" height="(\d+)"')


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    return tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def evaluated_run(run, tmp_path_factory):
    """The tiny run plus what evaluation adds: eval records in metrics.jsonl and metrics in model/info.json."""
    d = tmp_path_factory.mktemp("evaluated") / "run"
    shutil.copytree(run, d)
    with open(d / "metrics.jsonl", "a") as f:
        for step, fid, acc in ((10, 180.0, 0.2), (30, 95.5, 0.45)):
            f.write(json.dumps({"kind": "eval", "step": step, "epoch": 1, "fid": fid, "fid_floor": 1.3,
                                "cond_acc": acc, "cond_acc_floor": 0.99}) + "\n")
    info = read_info(d / "model")
    info["metrics"] = {"model": {"fid": 95.5, "cond_acc": 0.45}, "floor": {"fid": 1.3, "cond_acc": 0.99},
                       "num": 1000, "seed": 0, "command": "mnistgan evaluate --model run/model"}
    write_info(d / "model", info)
    return d


@pytest.fixture(scope="module")
def page(evaluated_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    main(["report", str(evaluated_run), "--out", str(out)])
    return out


def images_of(html: str) -> list[tuple[str, Image.Image, int, int]]:
    found = []
    for src, w, h in IMG.findall(html):
        mime, _, data = src.removeprefix("data:").partition(";base64,")
        im = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
        im.load()
        assert im.size == (int(w), int(h))
        found.append((mime, im, int(w), int(h)))
    return found


def test_report_has_every_section_and_only_embedded_images(page):
    html = page.read_text()
    for key, title, _ in report.SECTIONS:
        assert f'<section id="{key}">' in html, key
    assert "Not available" not in html
    assert html.count("<img ") == len(IMG.findall(html)) >= 11
    assert not re.search(r'(src|href)="(?!data:|#)', html)  # nothing to fetch: no http, no file paths
    imgs = images_of(html)
    assert [m for m, *_ in imgs].count("image/gif") == 1
    assert all(w >= 200 and h >= 60 for _, _, w, h in imgs)
    assert "95.5" in html and "0.99" in html and "mnistgan evaluate --model run/model" in html


def test_report_of_a_fresh_run_defaults_to_the_run_dir(run, tmp_path, capsys):
    d = tmp_path / "run"
    shutil.copytree(run, d)
    main(["report", str(d)])
    html = (d / "report.html").read_text()
    assert "wrote" in capsys.readouterr().out
    assert len(images_of(html)) >= 11


def test_sections_without_data_say_so_in_one_line(run, tmp_path):
    d = tmp_path / "crashed"  # a run killed before its first evaluation and export
    d.mkdir()
    shutil.copy(run / "config.json", d)
    records = [line for line in (run / "metrics.jsonl").read_text().splitlines() if '"eval"' not in line]
    (d / "metrics.jsonl").write_text("\n".join(records) + "\n")
    fake_sample_grids(d, epochs=(1, 2))
    html, notes = report.build_report(d)
    missing = [n.split(":")[0] for n in notes]
    assert missing == ["Quality over training", "Samples", "Real vs generated", "Latent interpolation",
                       "Nearest training neighbours (memorization check)", "Final metrics"]
    assert all("model" in n or "evaluation" in n for n in notes), notes
    assert html.count('<p class="missing">Not available: ') == len(notes)
    assert len(images_of(html)) == 3  # the curves, the progress collage and its GIF


@pytest.mark.bad_input("cli", n=3)
def test_report_errors_are_one_line(tmp_path, capsys):
    for args, message in (([str(tmp_path / "nowhere")], "no such run directory"),
                          ([str(tmp_path)], "not a run directory")):
        with pytest.raises(SystemExit):
            main(["report", *args])
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SystemExit):
        main(["report", str(tmp_path), "--out", str(tmp_path / "r.txt")])
    assert "output must end in .html" in capsys.readouterr().err


@pytest.mark.browser
@requires_chromium
def test_report_renders_in_chromium_with_every_image_loaded(page):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            tab = browser.new_page()
            requests = []
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(page.as_uri())
            tab.wait_for_load_state("load")
            images = tab.evaluate("Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
            sections = tab.evaluate("document.querySelectorAll('main > section').length")
        finally:
            browser.close()
    assert len(images) >= 11
    assert all(complete and width > 0 for _, complete, width in images), images
    assert sections == len(report.SECTIONS)
    assert all(u.startswith(("file:", "data:")) for u in requests), requests

"""`create_app` in-process (Starlette's TestClient, no sockets): the API alone, and with the page at /."""

import pytest
from fastapi.testclient import TestClient

from mnistgan.serve.server import create_app


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MNISTGAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MNISTGAN_BUNDLED", str(tmp_path / "no-bundled-models"))
    return tmp_path


@pytest.mark.bad_input("api", n=2)
def test_without_the_page_only_the_api_answers(empty_home):
    with TestClient(create_app(empty_home / "votes.sqlite", ui=False)) as client:
        assert client.get("/healthz").json()["models"] == 0
        assert client.get("/").status_code == 404
        r = client.post("/v1/generate", json={"model": "Not A Name"})
        assert r.status_code == 422 and "invalid model name" in r.json()["detail"]
        r = client.post("/v1/generate", json={"model": "tiny", "colour": "red"})
        assert r.status_code == 422
        assert r.json()["detail"] == ("colour: unknown field "
                                      "(allowed: model, num, digits, seed, truncation, temperature, format)")
    assert not (empty_home / "votes.sqlite").exists()  # no page, no votes


def test_with_the_page_both_answer(empty_home):
    with TestClient(create_app(empty_home / "votes.sqlite")) as client:
        assert client.get("/healthz").status_code == 200
        page = client.get("/")
        assert page.status_code == 200 and "<html" in page.text.lower()
    assert (empty_home / "votes.sqlite").is_file()

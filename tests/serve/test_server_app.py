"""`create_app` in-process (Starlette's TestClient, no sockets): the API alone, and with the page at /."""

import pytest
from fastapi.testclient import TestClient

from mnistgan.serve.api import create_api
from mnistgan.serve.server import create_app
from mnistgan.serve.service import ModelService
from tests.serve.serving import add_style_model


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


@pytest.mark.bad_input("api", n=5)
def test_undeclared_methods_are_405_even_with_the_page_at_the_root(empty_home):
    with TestClient(create_app(empty_home / "votes.sqlite")) as client:
        for method, path, allowed in [("TRACE", "/healthz", "GET"), ("POST", "/v1/models", "GET"),
                                      ("DELETE", "/v1/models/cdcgan", "GET"), ("GET", "/v1/generate", "POST"),
                                      ("PUT", "/openapi.json", "GET, HEAD")]:
            r = client.request(method, path)
            assert (r.status_code, r.headers.get("allow")) == (405, allowed), (method, path)
            assert r.json()["detail"] == f"method {method} is not allowed here; allowed: {allowed}"
        assert client.get("/").status_code == 200  # the page still answers everything else
        assert client.request("TRACE", "/not-an-api-path").status_code == 404


@pytest.mark.bad_input("api", n=2)
def test_style_mixing_on_the_onnx_backend_is_refused_with_a_message(empty_home):
    add_style_model(empty_home / "home", "tiny-style")
    with TestClient(create_api(ModelService(backend="onnx"))) as client:
        r = client.post("/v1/mix", json={"model": "tiny-style"})
        assert r.status_code == 422 and r.json()["detail"] == (
            "style mixing runs on the torch backend only, and this server runs its models on onnx "
            "(start it with --backend torch)")
        assert client.post("/v1/mix", json={"model": "nope"}).status_code == 404  # looked up first


@pytest.mark.bad_input("api", n=3)
def test_an_integer_may_come_as_a_number_without_a_fraction(empty_home):
    # JSON Schema's "integer" includes 7.0; a fraction or a string is still refused.
    with TestClient(create_app(empty_home / "votes.sqlite", ui=False)) as client:
        r = client.post("/v1/generate", json={"model": "nope", "num": 16.0, "seed": 3.0, "digits": [7.0]})
        assert r.status_code == 404  # validated, then looked up
        for body in ({"num": 16.5}, {"num": "16"}, {"digits": 7.5}):
            assert client.post("/v1/generate", json={"model": "nope", **body}).status_code == 422

"""The REST API through a live `mnistgan serve` on 127.0.0.1 (a real uvicorn subprocess)."""

import io
import json
import socket
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mnistgan import pictures, registry
from mnistgan.nets import load_generator
from mnistgan.sampling import MAX_SEED, Sampler
from tests.serve.serving import METRICS, STYLE_MODEL, LiveServer, tiny_home

# The package's own models are served beside the test ones.
BUNDLED_IDS = {r.id for r in registry.all_models() if r.bundled}


@pytest.fixture(scope="module")
def home(mnist_cache):
    return tiny_home()


@pytest.fixture(scope="module")
def server(home, tmp_path_factory):
    with LiveServer(home, tmp_path_factory.mktemp("api") / "votes.sqlite") as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def generate(client, **body):
    return client.post("/v1/generate", json=body)


def test_healthz_and_openapi(client):
    assert client.get("/healthz").json()["models"] == 4 + len(BUNDLED_IDS)
    spec = client.get("/openapi.json").json()
    assert {"/v1/models", "/v1/models/{name}", "/v1/generate", "/v1/mix", "/healthz"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_models_are_listed_with_versions_and_kind(client):
    models = {m["id"]: m for m in client.get("/v1/models").json()["models"]}
    assert set(models) == {"tiny-cond@1", "tiny-cond@2", "tiny-uncond@1", f"{STYLE_MODEL}@1"} | BUNDLED_IDS
    assert models[f"{STYLE_MODEL}@1"]["arch"] == "stylegan" and models[f"{STYLE_MODEL}@1"]["preset"] == "stylegan"
    assert models["tiny-cond@2"]["conditional"] and models["tiny-cond@2"]["latest"]
    assert not models["tiny-cond@1"]["latest"]
    assert not models["tiny-uncond@1"]["conditional"] and models["tiny-uncond@1"]["preset"] == "dcgan"
    assert all("path" not in m for m in models.values())
    assert models["tiny-cond@1"]["metrics"] == METRICS
    # version 2 keeps the figures training measured at its end
    assert models["tiny-cond@2"]["metrics"]["model"]["fid"] > models["tiny-cond@2"]["metrics"]["floor"]["fid"]


def test_one_model_has_its_card_and_training_summary(client):
    m = client.get("/v1/models/tiny-cond").json()
    assert m["id"] == "tiny-cond@2" and m["versions"] == ["tiny-cond@1", "tiny-cond@2"]
    assert "# mnistgan model" in m["card"] and m["training"]["steps"] == 5
    assert client.get("/v1/models/tiny-cond@1").json()["id"] == "tiny-cond@1"


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("name, status, fragment", [
    ("nope", 404, "unknown model 'nope'; known models: "),
    ("tiny-cond@9", 404, "has no version 9"),
    ("Not A Name", 422, "invalid model name"),
    ("-dash-first", 422, "invalid model name"),
    ("..%2F..%2Fetc", 404, "Not Found"),  # a slash never reaches the route: no paths from requests
])
def test_unknown_or_malformed_model_names(client, name, status, fragment):
    r = client.get(f"/v1/models/{name}")
    assert r.status_code == status and fragment in r.json()["detail"]


def raw(server, method: str, path: str, head: bytes = b"", body: bytes = b"") -> tuple[int, bytes]:
    """One request written byte for byte: no client cleans up the path (`..`) or fixes the headers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode() + head + b"\r\n" + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


# Model names that try to leave the registry, as a URL path segment. None gets a file, none a 5xx.
TRAVERSAL_PATHS = [
    ("../../etc/passwd", 404),  # raw, not cleaned up by the client
    ("..", 422),
    ("%2e%2e", 422),
    ("..%2F..%2Fetc%2Fpasswd", 404),
    ("%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404),
    ("%252e%252e%252fetc%252fpasswd", 422),  # double-encoded: decoded once, it is a bad name
    ("..%5C..%5Cetc%5Cpasswd", 422),  # backslashes
    ("%C0%AE%C0%AE%C0%AFetc%C0%AFpasswd", 422),  # overlong UTF-8 for ../
    ("tiny-cond%00", 422),
    ("tiny-cond%0A", 422),  # once a 404 (the name pattern ended in $, which lets a newline through)
    ("tiny-cond@%C2%B2", 422),  # once a 500: "²".isdigit() is True, int("²") raises
    ("tiny-cond@1%2F..%2F..%2F2", 404),
    ("~root", 422),
    ("a" * 5000, 422),
]


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("segment, status", TRAVERSAL_PATHS, ids=[p[:40] for p, _ in TRAVERSAL_PATHS])
def test_path_traversal_in_a_model_path_is_refused(server, segment, status):
    got, body = raw(server, "GET", f"/v1/models/{segment}")
    assert got == status, body[:300]
    assert b"root:" not in body and json.loads(body)["detail"]


TRAVERSAL_NAMES = ["../../etc/passwd", "..\\..\\windows\\win.ini", "tiny-cond/../../../etc/passwd",
                   "%2e%2e%2fetc%2fpasswd", "tiny-cond@\u00b2", "tiny-cond\n", "tiny-cond\u0000",
                   "file:///etc/passwd", "~/x", "", "a" * 101, "tiny-cond@1/../2"]


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("name", TRAVERSAL_NAMES, ids=[repr(n)[:30] for n in TRAVERSAL_NAMES])
def test_path_traversal_in_a_model_field_is_refused(client, name):
    r = generate(client, model=name)
    assert r.status_code == 422 and ("invalid model name" in r.json()["detail"] or "model:" in r.json()["detail"]), r.text


HUGE_NUMS = [10**6, 2**31, 2**63, -(2**63), 10**400, 1e300, -1e300, "1e6", [64], {"n": 64}]


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("num", HUGE_NUMS, ids=[repr(n)[:20] for n in HUGE_NUMS])
def test_huge_or_odd_num_is_a_422(client, num):
    r = client.post("/v1/generate", content=json.dumps({"model": "tiny-cond", "num": num}),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith("num: "), r.text


@pytest.mark.bad_input("api", n=5)
def test_lying_lengths_deep_nesting_and_huge_headers(server, client):
    # A length of a terabyte, no body sent: refused from the header, at once.
    status, body = raw(server, "POST", "/v1/generate", b"Content-Type: application/json\r\nContent-Length: 1000000000000\r\n")
    assert status == 413 and b"too large" in body
    for length in (b"-1", b"abc"):  # lengths that are not lengths
        status, _ = raw(server, "POST", "/v1/generate", b"Content-Length: " + length + b"\r\n", b"{}")
        assert status == 400
    # Nested 30,000 deep, under the size limit: FastAPI's parser gives up with a 400, no crash.
    deep = "[" * 30_000 + "]" * 30_000
    r = client.post("/v1/generate", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "error parsing the body" in r.json()["detail"], r.text[:300]
    # A 2 MB header: the HTTP layer hangs up on it (100 kB still passes), and the server goes on.
    try:
        status, _ = raw(server, "GET", "/healthz", b"X-Big: " + b"a" * 2_000_000 + b"\r\n")
    except ConnectionError:
        status = None
    assert status is None or 400 <= status < 500
    assert client.get("/healthz").status_code == 200


def test_png_is_a_grid_of_the_right_size(client):
    r = generate(client, model="tiny-cond", num=16, digits=7, seed=1)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["x-model"] == "tiny-cond@2"
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (2 * (4 * 30 + 2),) * 2  # 4x4 digits, 2 px gaps, upscaled 2x
    r = generate(client, model="tiny-cond", num=20)  # cycling 0..9: a row per digit
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (2 * (10 * 30 + 2), 2 * (2 * 30 + 2))


def test_npz_is_the_generate_contract_and_matches_the_sampler(client, home):
    r = generate(client, model="tiny-cond@1", num=12, digits=[3, 4], seed=5, truncation=1.0, format="npz")
    assert r.status_code == 200
    z = np.load(io.BytesIO(r.content))
    assert z["images"].dtype == np.uint8 and z["images"].shape == (12, 28, 28)
    assert z["labels"].dtype == np.int64 and z["labels"].tolist() == [3, 4] * 6
    local = Sampler(load_generator(home / "models" / "tiny-cond" / "v1"))
    images, _ = local.sample(12, [3, 4], seed=5, truncation=1.0)
    np.testing.assert_array_equal(z["images"], images)


def test_json_arrays_and_unconditional_labels(client):
    body = generate(client, model="tiny-uncond", num=3, seed=2, format="json").json()
    assert body["model"] == "tiny-uncond@1" and not body["conditional"] and body["shape"] == [3, 28, 28]
    assert body["labels"] == [-1, -1, -1]
    images = np.array(body["images"])
    assert images.shape == (3, 28, 28) and images.min() >= 0 and images.max() <= 255
    again = generate(client, model="tiny-uncond", num=3, seed=2, format="json").json()
    assert again["images"] == body["images"]


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("body, status, fragment", [
    ({"model": "nope"}, 404, "unknown model"),
    ({"model": "/etc/passwd"}, 422, "invalid model name"),
    ({"model": "tiny-uncond", "digits": 3}, 422, "unconditional"),
    ({"model": "tiny-cond", "digits": 10}, 422, "digits: must be an integer 0-9"),
    ({"model": "tiny-cond", "digits": [1, -1]}, 422, "digits"),
    ({"model": "tiny-cond", "digits": []}, 422, "digits"),
    ({"model": "tiny-cond", "digits": True}, 422, "digits"),
    ({"model": "tiny-cond", "num": 0}, 422, "num: Input should be greater than or equal to 1"),
    ({"model": "tiny-cond", "num": 1025}, 422, "num: Input should be less than or equal to 1024"),
    ({"model": "tiny-cond", "num": "5"}, 422, "num: Input should be a valid integer"),
    ({"model": "tiny-cond", "num": 5.5}, 422, "num"),  # 5.0 is taken: JSON Schema counts it as an integer
    ({"model": "tiny-cond", "seed": -1}, 422, "seed"),
    ({"model": "tiny-cond", "seed": MAX_SEED + 1}, 422, "seed"),
    ({"model": "tiny-cond", "seed": 10**40}, 422, "seed"),
    ({"model": "tiny-cond", "truncation": 0}, 422, "truncation"),
    ({"model": "tiny-cond", "truncation": 3.4e38}, 422, "truncation"),  # once a 500 (float32 overflow), found by the fuzz
    ({"model": "tiny-cond", "temperature": 11}, 422, "temperature"),
    ({"model": "tiny-cond", "format": "gif"}, 422, "format"),
    ({"model": "tiny-cond", "colour": "red"}, 422, "colour: unknown field"),
    ({"model": 7}, 422, "model"),
])
def test_bad_inputs_are_4xx_with_a_message(client, body, status, fragment):
    r = generate(client, **body)
    assert r.status_code == status, r.text
    assert fragment in r.json()["detail"]


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("raw", ['{"model": "tiny-cond", "truncation": NaN}', '{"model": "tiny-cond", "truncation": Infinity}',
                                 '{"model": "tiny-cond", "truncation": 1e999}', '{"model": ', '[1, 2]', '"x"', 'null'])
def test_non_finite_numbers_and_non_objects(client, raw):
    r = client.post("/v1/generate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"], r.text


@pytest.mark.bad_input("api", n=2)
def test_oversized_bodies_are_refused_with_or_without_a_length(client):
    big = json.dumps({"model": "tiny-cond", "digits": [1] * 40_000})
    r = client.post("/v1/generate", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]

    def chunks():  # no Content-Length: the limit applies while streaming
        yield b'{"model": "tiny-cond", "digits": ['
        for _ in range(20_000):
            yield b"1, 1, 1, 1, "
        yield b"1]}"

    r = client.post("/v1/generate", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.bad_input("api", n=2)
def test_wrong_content_type_and_method(client):
    r = client.post("/v1/generate", content="model=tiny-cond", headers={"content-type": "text/plain"})
    assert r.status_code == 422
    r = client.get("/v1/generate")  # not the web page's 404, though the page is mounted at /
    assert r.status_code == 405 and r.headers["allow"] == "POST"


# ----------------------------------------------------------------- style mixing

MIXING = {"coarse_seeds": [0, 1, 2], "fine_seeds": [5, 6], "digit": 3, "crossover": 2, "psi": 0.7}
MIXING_ARGS = ([0, 1, 2], [5, 6], 3, None, 2, 0.7)  # the same, as Sampler.mixing_grid's arguments


@pytest.fixture(scope="module")
def style_sampler(home):
    return Sampler(load_generator(home / "models" / STYLE_MODEL / "v1"), f"{STYLE_MODEL}@1")


def test_mix_png_is_the_labelled_mixing_picture(client, style_sampler):
    r = client.post("/v1/mix", json={"model": STYLE_MODEL, **MIXING})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    assert r.headers["x-model"] == f"{STYLE_MODEL}@1" and r.headers["x-conditional"] == "true"
    expected = pictures.mixing_picture(style_sampler, *MIXING_ARGS)
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.format == "PNG" and im.size == expected.size
        # 3 rows and 2 columns of mixes, plus each seed's own digit along the top and the left
        assert im.size == (72 + 3 * (3 * 30 + 2), expected.height) and im.height > 3 * (4 * 30 + 2)
        np.testing.assert_array_equal(np.asarray(im.convert("L")), np.asarray(expected))


def test_mix_npz_and_json_are_the_samplers_grid_byte_for_byte(client, style_sampler):
    grid = style_sampler.mixing_grid(*MIXING_ARGS)
    assert grid.shape == (3, 2, 28, 28)
    r = client.post("/v1/mix", json={"model": f"{STYLE_MODEL}@1", **MIXING, "format": "npz"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    with np.load(io.BytesIO(r.content)) as z:
        assert z["images"].dtype == np.uint8 and z["images"].tobytes() == grid.tobytes()
        assert z["images"].shape == grid.shape
        assert z["coarse_seeds"].tolist() == [0, 1, 2] and z["fine_seeds"].tolist() == [5, 6]
        assert z["coarse_seeds"].dtype == np.int64
    body = client.post("/v1/mix", json={"model": STYLE_MODEL, **MIXING, "format": "json"}).json()
    assert body["model"] == f"{STYLE_MODEL}@1" and body["shape"] == [3, 2, 28, 28]
    assert np.array(body["images"], dtype=np.uint8).tobytes() == grid.tobytes()
    # Equal seeds and digits, psi 1: mixing is plain sampling.
    same = client.post("/v1/mix", json={"model": STYLE_MODEL, "coarse_seeds": [4], "fine_seeds": [4], "digit": 8,
                                        "format": "json"}).json()
    assert np.array_equal(same["images"][0][0], style_sampler.sample(1, 8, seed=4)[0][0])


MIX_BAD = [
    ({"model": "tiny-cond"}, 422, "tiny-cond@2 has no style layers to mix: style mixing needs a style-based model"),
    ({"model": "tiny-uncond@1", "digit": 3}, 422, "tiny-uncond@1 has no style layers to mix"),
    ({"model": "nope"}, 404, "unknown model 'nope'"),
    ({"model": "../x"}, 422, "invalid model name"),
    ({}, 422, "model: Field required"),
    ({"model": STYLE_MODEL, "crossover": 0}, 422, "crossover: Input should be greater than or equal to 1"),
    ({"model": STYLE_MODEL, "crossover": 6}, 422, "crossover: Input should be less than or equal to 5"),
    ({"model": STYLE_MODEL, "crossover": 2.5}, 422, "crossover"),
    ({"model": STYLE_MODEL, "coarse_seeds": list(range(33))}, 422, "coarse_seeds: List should have at most 32 items"),
    ({"model": STYLE_MODEL, "fine_seeds": []}, 422, "fine_seeds: List should have at least 1 item"),
    ({"model": STYLE_MODEL, "fine_seeds": 5}, 422, "fine_seeds: Input should be a valid list"),
    ({"model": STYLE_MODEL, "coarse_seeds": [1, -1]}, 422, "coarse_seeds.1: Input should be greater than or equal to 0"),
    ({"model": STYLE_MODEL, "coarse_seeds": [MAX_SEED + 1]}, 422, "coarse_seeds.0"),
    ({"model": STYLE_MODEL, "coarse_seeds": [True]}, 422, "coarse_seeds.0"),
    ({"model": STYLE_MODEL, "digit": 10}, 422, "digit"),
    ({"model": STYLE_MODEL, "fine_digit": -1}, 422, "fine_digit"),
    ({"model": STYLE_MODEL, "psi": 2.5}, 422, "psi: Input should be less than or equal to 2"),
    ({"model": STYLE_MODEL, "psi": "1"}, 422, "psi"),
    ({"model": STYLE_MODEL, "format": "gif"}, 422, "format"),
    ({"model": STYLE_MODEL, "num": 4}, 422, "num: unknown field (allowed: model, coarse_seeds, fine_seeds, digit, "
                                            "fine_digit, crossover, psi, format)"),
]


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("body, status, fragment", MIX_BAD, ids=[repr(b)[:50] for b, _, _ in MIX_BAD])
def test_bad_mixing_requests_are_4xx_with_a_message(client, body, status, fragment):
    r = client.post("/v1/mix", json=body)
    assert r.status_code == status, r.text
    assert fragment in r.json()["detail"]


def test_many_clients_at_once_all_get_answers(server):
    def one(i):
        with httpx.Client(base_url=server.url, timeout=60) as c:
            return c.post("/v1/generate", json={"model": "tiny-cond", "num": 64, "seed": i}).status_code

    with ThreadPoolExecutor(24) as pool:
        assert list(pool.map(one, range(48))) == [200] * 48


# Anything JSON can hold, in the places the schema looks, plus stray fields.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20) | st.sampled_from(["tiny-cond", "tiny-cond@1", "tiny-uncond", "png", "npz", "json"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8)
FIELDS = {
    "model": st.sampled_from(["tiny-cond", "tiny-cond@2", "tiny-uncond@1", "nope", "../x", ""]) | JSON_VALUES,
    "num": st.integers(-3, 1100) | JSON_VALUES,
    "digits": st.none() | st.integers(-2, 12) | st.lists(st.integers(-1, 10), max_size=12) | JSON_VALUES,
    "seed": st.integers(-5, 2**64) | JSON_VALUES,
    "truncation": st.floats(allow_nan=True, allow_infinity=True) | JSON_VALUES,
    "temperature": st.floats(-1, 12) | JSON_VALUES,
    "format": st.sampled_from(["png", "npz", "json", "PNG", "gif"]) | JSON_VALUES,
}
BODIES = st.fixed_dictionaries({}, optional=FIELDS) | st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)


@pytest.mark.bad_input("fuzz", n=150)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=BODIES | JSON_VALUES)
def test_fuzzed_requests_never_get_a_5xx(client, body):
    raw = json.dumps(body)  # NaN/Infinity pass as JS literals, as sloppy clients send them
    r = client.post("/v1/generate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code < 500, (raw, r.status_code, r.text)
    if r.status_code == 200:
        kind = body.get("format", "png")
        assert r.headers["content-type"].startswith({"png": "image/png", "npz": "application/octet-stream",
                                                     "json": "application/json"}[kind])
    else:
        assert r.status_code in (404, 422) and r.json()["detail"]


@pytest.mark.bad_input("fuzz", n=40)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=200))
def test_fuzzed_bytes_never_get_a_5xx(client, raw):
    r = client.post("/v1/generate", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500


def test_a_server_with_no_models_starts_and_says_so(tmp_path):
    with LiveServer(tmp_path / "empty-home", tmp_path / "votes.sqlite", bundled=False) as s:
        assert httpx.get(f"{s.url}/healthz").json()["models"] == 0
        assert httpx.get(f"{s.url}/v1/models").json() == {"models": []}
        r = httpx.post(f"{s.url}/v1/generate", json={})
        assert r.status_code == 404 and "known models: none" in r.json()["detail"]
        assert httpx.get(f"{s.url}/", timeout=30).status_code == 200
    assert "no models installed yet" in s.log.read_text()


def test_the_server_never_imports_training_code():
    import subprocess
    import sys

    code = ("import sys, mnistgan.serve.server, mnistgan.cli.serve; "
            "bad = [m for m in ('mnistgan.training', 'mnistgan.session', 'mnistgan.objectives') if m in sys.modules]; "
            "assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]

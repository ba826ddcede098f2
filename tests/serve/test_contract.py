"""The REST API keeps the contract its OpenAPI document states, checked the way a newcomer would check it:
schemathesis, every phase and every check, against a live `mnistgan serve` (bundled models, no training,
and an untrained StyleGAN registered as `stylegan`, the name the mixing request's example gives, so that
/v1/mix is exercised beyond its errors).

A few parts of the document are also pinned directly, where schemathesis finds them only by luck; the app's
405s and its reading of numbers are in test_server_app.py.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnistgan import registry
from mnistgan.errors import MnistganError
from mnistgan.sampling import MAX_SEED
from mnistgan.serve.api import MODEL_NAME_PATTERN, create_api
from tests.serve.serving import LiveServer, add_style_model

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
PHASES = ("examples", "coverage", "fuzzing", "stateful")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("contract")
    add_style_model(root / "home", "stylegan")
    with LiveServer(root / "home", root / "votes.sqlite") as s:
        yield s


def test_schemathesis_finds_nothing(server, tmp_path):
    report = tmp_path / "report.json"
    command = [str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color", "run", f"{server.url}/openapi.json",
               "--checks", "all", "--report", "json", "--report-json-path", str(report)]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    result = json.loads(report.read_text())
    assert result["complete"] and result["failures"] == [] and result["errors"] == []
    assert result["operations"]["tested"] == result["operations"]["total"] == 5
    assert {phase: result["phases"][phase]["status"] for phase in PHASES} == dict.fromkeys(PHASES, "success")
    assert result["test_cases"]["generated"] >= 200  # it really ran, not an empty selection
    assert not any(result["warnings"].values()), result["warnings"]


# Anything near a model name: the registry's alphabet, its look-alikes and what breaks anchors.
NAMEISH = st.text(alphabet="az09._-@AZ²\n /", max_size=80) | st.from_regex(MODEL_NAME_PATTERN, fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(name=NAMEISH)
def test_the_documented_name_pattern_is_exactly_what_the_registry_accepts(name):
    # fullmatch: a JSON Schema pattern's ^...$ never lets a trailing newline through, unlike Python's $
    documented = re.fullmatch(MODEL_NAME_PATTERN, name) is not None
    try:
        registry.parse_name(name)
        accepted = True
    except MnistganError:
        accepted = False
    assert documented == accepted, name


def test_bounds_are_exact_integers_in_the_document():
    document = create_api().openapi()
    request = document["components"]["schemas"]["GenerateRequest"]["properties"]
    assert request["seed"]["maximum"] == MAX_SEED and isinstance(request["seed"]["maximum"], int)
    assert request["model"]["pattern"] == MODEL_NAME_PATTERN
    name = document["paths"]["/v1/models/{name}"]["get"]["parameters"][0]["schema"]
    assert name["pattern"] == MODEL_NAME_PATTERN
    for path in ("/v1/generate", "/v1/mix"):
        statuses = set(document["paths"][path]["post"]["responses"])
        assert statuses == {"200", "400", "404", "413", "422", "503"}, path
    seeds = document["components"]["schemas"]["MixRequest"]["properties"]["coarse_seeds"]
    assert seeds["items"] == {"type": "integer", "minimum": 0, "maximum": MAX_SEED}
    assert isinstance(seeds["items"]["maximum"], int) and (seeds["minItems"], seeds["maxItems"]) == (1, 32)

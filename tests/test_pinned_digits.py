"""A bundled model with a fixed seed draws the same digits, byte for byte, as before the engine was reshaped.

tests/fixtures/pinned_digits.json holds, per bundled model, the SHA-256 of its weights file and of
the uint8 digits `Sampler` drew from it (the five models of the first wave were pinned with the
pre-reshape code, commit bd90a19, and still match). When a bundled model is retrained its weights
hash changes and the test says so: re-pin it with `python tests/test_pinned_digits.py --repin NAME`,
in the same commit as the new weights.
"""

import hashlib
import json
import sys
from pathlib import Path

import pytest

from mnistgan.registry import BUNDLED
from mnistgan.sampling import Sampler

PINS = Path(__file__).parent / "fixtures" / "pinned_digits.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def draw(name: str) -> dict:
    s = Sampler.from_pretrained(BUNDLED / name)
    conditional = {"from_digit": 1, "to_digit": 8} if s.conditional else {}
    return {"weights_sha256": sha256((BUNDLED / name / "model.safetensors").read_bytes()),
            "sample_64_seed_1234": sha256(s.sample(64, seed=1234)[0].tobytes()),
            "digit_7_x20_seed_5_truncation_1.5_temperature_0.8":
                sha256(s.sample(20, digits=7, seed=5, truncation=1.5, temperature=0.8)[0].tobytes())
                if s.conditional else None,
            "interpolate_6_seeds_3_4": sha256(s.interpolate(steps=6, seeds=(3, 4), **conditional).tobytes())}


@pytest.mark.parametrize("name", sorted(json.loads(PINS.read_text())))
def test_bundled_model_draws_the_pinned_digits(name):
    pinned = json.loads(PINS.read_text())[name]
    now = draw(name)
    assert now["weights_sha256"] == pinned["weights_sha256"], f"{name} was retrained: re-pin it (see the docstring)"
    assert now == pinned


if __name__ == "__main__" and sys.argv[1:2] == ["--repin"]:
    pins = json.loads(PINS.read_text())
    for model in sys.argv[2:]:
        pins[model] = draw(model)
    PINS.write_text(json.dumps(pins, indent=1) + "\n")

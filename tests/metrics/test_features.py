"""The shipped feature network: loads without pickle, is small, and classifies real MNIST test digits."""

import json

import numpy as np
import pytest

from mnistgan.metrics import features
from mnistgan.metrics.reference import reference_set


def test_classifier_reaches_its_recorded_accuracy_on_the_real_test_set():
    ref = reference_set()  # embeds all 10,000 test digits with the shipped weights
    accuracy = (ref.predictions == ref.labels).mean()
    assert accuracy >= 0.994
    recorded = json.loads(features.CONFIG.read_text())
    assert recorded["test_accuracy"] == pytest.approx(accuracy, abs=2e-4)
    assert recorded["command"].startswith("python scripts/train_classifier.py")
    assert {"seed", "epochs", "wall_time_s", "versions", "architecture"} <= set(recorded)


def test_weights_are_small_fp32_safetensors():
    from safetensors.numpy import load_file

    assert features.WEIGHTS.stat().st_size < 1.5e6
    assert all(v.dtype in (np.float32, np.int64) for v in load_file(str(features.WEIGHTS)).values())


def test_embed_shapes_and_input_checks():
    digits = np.zeros((3, 28, 28), np.uint8)
    f, logits = features.embed(digits, batch_size=2)
    assert f.shape == (3, 128) and logits.shape == (3, 10) and f.dtype == np.float32
    assert np.allclose(f[0], f[2], atol=1e-5)  # eval mode: no dropout, batch-independent
    with pytest.raises(ValueError, match="uint8"):
        features.embed(np.zeros((3, 28, 28), np.float32))
    assert features.embed(np.zeros((0, 28, 28), np.uint8))[0].shape == (0, 128)

"""The feature network: a small MNIST classifier that ships with the package.

Inception features transfer poorly to 28x28 digits and cannot be downloaded
here, so every metric measures in this network's space instead: its
penultimate layer (128 numbers per image) is the metric space of FID, KID and
precision/recall, and its logits give the class predictions of mode coverage
and conditional accuracy. `scripts/train_classifier.py` trains it with a fixed,
deterministic recipe and writes `classifier.safetensors` + `classifier.json`
beside this file.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mnistgan.data import to_unit_range
from mnistgan.errors import ModelFileError

HERE = Path(__file__).parent
WEIGHTS = HERE / "classifier.safetensors"
CONFIG = HERE / "classifier.json"
EMBED_BATCH = 1000


class Classifier(nn.Module):
    """Images in [-1, 1] (B, 1, 28, 28) -> logits (B, 10); `features` gives the (B, feature_dim) layer before them."""

    def __init__(self, channels: tuple[int, int, int] = (32, 64, 128), feature_dim: int = 128, dropout: float = 0.3):
        super().__init__()
        c1, c2, c3 = channels
        self.config = {"channels": list(channels), "feature_dim": feature_dim, "dropout": dropout}

        def block(cin: int, cout: int, k: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.body = nn.Sequential(
            *block(1, c1, 5), nn.MaxPool2d(2),   # (B, c1, 14, 14)
            *block(c1, c2, 3), nn.MaxPool2d(2),  # (B, c2, 7, 7)
            *block(c2, c3, 3), nn.MaxPool2d(2),  # (B, c3, 3, 3)
            nn.Flatten(),                        # (B, 9 * c3)
            nn.Dropout(dropout),
            nn.Linear(9 * c3, feature_dim, bias=False), nn.BatchNorm1d(feature_dim), nn.ReLU(inplace=True),
        )  # (B, feature_dim): the metric space
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(feature_dim, 10))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def read_config(path: Path = CONFIG) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ModelFileError(f"{path}: cannot read the feature network's config ({e}); "
                             "train it with scripts/train_classifier.py") from None


@functools.lru_cache(maxsize=1)
def load_classifier() -> Classifier:
    """The shipped classifier in eval mode on the CPU (loaded once per process, without pickle)."""
    from safetensors.torch import load_file

    arch = read_config()["architecture"]
    model = Classifier(tuple(arch["channels"]), arch["feature_dim"], arch["dropout"])
    try:
        model.load_state_dict(load_file(str(WEIGHTS)), strict=True)
    except (OSError, RuntimeError) as e:
        raise ModelFileError(f"{WEIGHTS}: cannot load the feature network ({str(e).splitlines()[0]})") from None
    return model.eval().requires_grad_(False)


@functools.lru_cache(maxsize=1)
def classifier_id() -> str:
    """A short hash of the shipped weights: cached figures computed with other weights are never reused."""
    return hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()[:12]


def _as_uint8_tensor(images, device: torch.device) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if x.dtype != torch.uint8 or x.ndim != 3 or tuple(x.shape[1:]) != (28, 28):
        raise ValueError(f"expected uint8 images (N, 28, 28), got {tuple(x.shape)} {x.dtype}")
    return x.to(device)


def fold_batchnorm(model: Classifier) -> Classifier:
    """An inference copy: each Conv2d + BatchNorm2d folded into one conv (same outputs to ~1e-6, faster)."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model = copy.deepcopy(model).eval()
    layers, folded = list(model.body), []
    while layers:
        layer = layers.pop(0)
        if isinstance(layer, nn.Conv2d) and layers and isinstance(layers[0], nn.BatchNorm2d):
            layer = fuse_conv_bn_eval(layer, layers.pop(0))
        folded.append(layer)
    model.body = nn.Sequential(*folded)
    return model


@functools.lru_cache(maxsize=4)
def _classifier_on(device: str) -> Classifier:
    # channels_last makes the CPU's convolutions and pooling markedly faster on 28x28 inputs.
    return fold_batchnorm(load_classifier()).to(device, memory_format=torch.channels_last)


@torch.inference_mode()
def embed(images, batch_size: int = EMBED_BATCH, device: str | torch.device = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """uint8 (N, 28, 28), 0 = background, 255 = ink -> (features float32 (N, 128), logits float32 (N, 10)).

    Images already on an accelerator can be embedded there (`device`); the figures come back as CPU arrays.
    """
    x = _as_uint8_tensor(images, torch.device(device))
    model = _classifier_on(str(torch.device(device)))
    feats, logits = [], []
    for start in range(0, len(x), batch_size):
        f = model.features(to_unit_range(x[start : start + batch_size]).contiguous(memory_format=torch.channels_last))
        feats.append(f.float().cpu())
        logits.append(model.head(f).float().cpu())
    if not feats:
        return np.zeros((0, model.config["feature_dim"]), np.float32), np.zeros((0, 10), np.float32)
    return torch.cat(feats).numpy(), torch.cat(logits).numpy()

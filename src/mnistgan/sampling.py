"""Sampler: the one way to generate digits from an exported model folder.

    from mnistgan import Sampler
    s = Sampler.from_pretrained("runs/hinge-sn-.../model")   # or a registry name
    images = s(16, digits=7, seed=0)                          # uint8 (16, 28, 28)

Two backends run the generator: "torch" (the default: PyTorch, on any device) and "onnx"
(onnxruntime on the CPU, from the model's ONNX graphs; generating imports no torch). This
module holds what they share: checking the arguments, labels, chunking, the shape of the noise.
Each backend draws its noise from its own seeded generator (torch's, or NumPy's: see
onnx_backend.py), so a seed means the same digits within a backend, not across the two.

Loading reads config.json and model.safetensors only (or the ONNX graphs made from them), so it
never executes pickled code; a missing, corrupt or mismatched file is a ModelFileError that
names the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mnistgan.style_mixing as style_mixing
from mnistgan.errors import MnistganError
from mnistgan.latent import (MAX_SEED, MAX_TRUNCATION, NUM_CLASSES, check_noise_options, check_seed, digit_labels,
                             gaussian_noise)
from mnistgan.onnx_backend import OnnxBackend

__all__ = ["BACKENDS", "CHUNK", "MAX_SEED", "MAX_TRUNCATION", "NUM_CLASSES", "SERVE_BACKEND_ENV", "Sampler", "check_seed"]

BACKENDS = ("torch", "onnx")
SERVE_BACKEND_ENV = "MNISTGAN_SERVE_BACKEND"  # the backend a server's samplers run on: `mnistgan serve --backend`
CHUNK = 1024  # digits per generator pass (the API's largest request is one pass)
COARSE_LAYERS = style_mixing.COARSE_LAYERS


class Sampler:
    def __init__(self, G, name: str = "model", info: dict | None = None, device: str = "cpu",
                 model_dir: str | Path | None = None):
        """`G`: a torch `Generator` (run by PyTorch on `device`) or an `OnnxBackend`.

        `info` is the model's info.json; given `model_dir` instead, it is read when first asked for
        (the code that reads it imports torch, which generating on onnx must not need).
        """
        if isinstance(G, OnnxBackend):
            if str(device) != "cpu":
                raise MnistganError(f"the onnx backend runs on the CPU, not on {device}")
            self.backend = G
        else:
            from mnistgan.torch_backend import TorchBackend

            self.backend = TorchBackend(G, device)
        self.name, self._info, self._model_dir = name, info, model_dir

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str = "cpu", backend: str = "torch") -> "Sampler":
        """A registry name (NAME or NAME@VERSION), a model folder or a run directory, on `backend`."""
        from mnistgan.registry import resolve_model

        model_dir, name = resolve_model(name_or_path)
        return cls.from_folder(model_dir, name, device, backend)

    @classmethod
    def from_folder(cls, model_dir: str | Path, name: str, device: str = "cpu", backend: str = "torch") -> "Sampler":
        if backend == "onnx":
            return cls(OnnxBackend.for_model(model_dir), name=name, device=device, model_dir=model_dir)
        if backend != "torch":
            raise MnistganError(f"backend must be {' or '.join(BACKENDS)}, got {backend!r}")
        from mnistgan.nets import load_generator

        return cls(load_generator(model_dir), name=name, device=device, model_dir=model_dir)

    @property
    def info(self) -> dict:
        if self._info is None:
            from mnistgan.model_folder import read_info

            self._info = read_info(self._model_dir) if self._model_dir is not None else {}
        return self._info

    @property
    def conditional(self) -> bool:
        return self.backend.conditional

    @property
    def latent_dim(self) -> int:
        return self.backend.latent_dim

    # ------------------------------------------------------------ inputs

    def labels_for(self, num: int, digits) -> np.ndarray:
        """int64 labels for `num` samples: one digit, a list (cycled), or None (cycle 0..9; -1 if unconditional)."""
        return digit_labels(num, digits, self.conditional, self.name)

    def noise(self, num: int, seed: int = 0, truncation: float | None = None, temperature: float = 1.0):
        """z (num, latent_dim) ~ N(0, I) from the backend's seeded generator (a torch.Tensor on torch, a
        NumPy array on onnx); `truncation` redraws |z| > t, `temperature` scales z."""
        check_seed(seed)
        check_noise_options(truncation, temperature)
        return gaussian_noise(self.backend.normal(seed), (num, self.latent_dim), truncation, temperature)

    # ------------------------------------------------------------ outputs

    def decode(self, z, labels) -> np.ndarray:
        """uint8 (N, 28, 28) in MNIST polarity (0 background, 255 ink), in chunks of `CHUNK` digits
        so that evaluating tens of thousands of samples does not hold all their activations at once."""
        digits = labels.clip(min=0) if self.conditional else None
        return np.concatenate([self.backend.images(z[s : s + CHUNK], None if digits is None else digits[s : s + CHUNK])
                               for s in range(0, len(z), CHUNK)])

    def sample(self, num: int, digits=None, seed: int = 0, truncation: float | None = None,
               temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 (N, 28, 28), labels int64 (N,)); same arguments, same output."""
        if not isinstance(num, (int, np.integer)) or num < 1:
            raise MnistganError(f"num must be a positive integer, got {num!r}")
        labels = self.labels_for(num, digits)
        z = self.noise(num, seed, truncation, temperature)
        return self.decode(z, labels), labels

    def __call__(self, num: int, digits=None, seed: int = 0, truncation: float | None = None,
                 temperature: float = 1.0, pil: bool = False):
        images, _ = self.sample(num, digits, seed, truncation, temperature)
        if pil:
            from PIL import Image

            return [Image.fromarray(255 - im) for im in images]
        return images

    def interpolate(self, steps: int = 10, from_digit: int | None = None, to_digit: int | None = None,
                    seeds: tuple[int, int] = (0, 1), slerp: bool = False, truncation: float | None = None) -> np.ndarray:
        """`steps` images walking from (seed A, digit A) to (seed B, digit B); labels blend through the embedding."""
        if not 2 <= steps <= 256:
            raise MnistganError(f"steps must be between 2 and 256, got {steps}")
        za = self.noise(1, seeds[0], truncation)[0]
        zb = self.noise(1, seeds[1], truncation)[0]
        if not self.conditional:
            if from_digit is not None or to_digit is not None:
                raise MnistganError(f"{self.name} is unconditional: it cannot interpolate between digits")
            return self.backend.interpolate(za, zb, steps, slerp, None)
        a = int(self.labels_for(1, 0 if from_digit is None else from_digit)[0])
        b = int(self.labels_for(1, a if to_digit is None else to_digit)[0])
        return self.backend.interpolate(za, zb, steps, slerp, (a, b))

    # ------------------------------------------------------------ style mixing (style-based generators)

    def mix(self, coarse_seed: int, fine_seed: int, digit: int | None = None, fine_digit: int | None = None,
            crossover: int = COARSE_LAYERS, psi: float = 1.0) -> np.ndarray:
        """One digit uint8 (28, 28): the coarse styles (shape) of `coarse_seed` with the fine styles
        (stroke, texture) of `fine_seed`. Equal seeds and digits, psi 1: exactly `sample(1, digit, seed)`."""
        return self.mixing_grid([coarse_seed], [fine_seed], digit, fine_digit, crossover, psi)[0, 0]

    def mixing_grid(self, coarse_seeds, fine_seeds, digit: int | None = None, fine_digit: int | None = None,
                    crossover: int = COARSE_LAYERS, psi: float = 1.0) -> np.ndarray:
        """uint8 (rows, cols, 28, 28): row i takes its coarse styles from coarse_seeds[i], column j its fine
        styles from fine_seeds[j]. `psi` < 1 pulls each w toward its digit's mean (truncation in w)."""
        return style_mixing.mixing_grid(self, coarse_seeds, fine_seeds, digit, fine_digit, crossover, psi)

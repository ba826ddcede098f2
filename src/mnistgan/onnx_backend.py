"""The onnx backend of `Sampler`: a model's ONNX graphs run by onnxruntime. Nothing here imports torch.

Noise comes from NumPy's default generator (PCG64) seeded with the seed: the same seed draws the
same digits on this backend, every time, but not the digits the torch backend draws for it, since
torch's generator cannot run without torch. For the same z and digits the two backends' images
agree (to float rounding: the tests hold them within 1e-4 on [-1, 1]).

Sessions use `OMP_NUM_THREADS` threads when it is set (`mnistgan serve` sets it to each worker's
share of the cores), else onnxruntime's default of one per physical core.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mnistgan.errors import ModelFileError
from mnistgan.extras import import_extra
from mnistgan.latent import linear_path, spherical_path
from mnistgan.onnx_cache import GENERATOR_GRAPH, INTERPOLATION_GRAPH, graph_folder


class OnnxBackend:
    def __init__(self, folder: str | Path):
        """`folder`: the model's graphs, as `onnx_cache` lays them out."""
        self.folder = Path(folder)
        self.session = _session(self.folder / GENERATOR_GRAPH)
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.latent_dim = int(inputs["z"].shape[1])
        self.conditional = "digits" in inputs
        self._interpolation = None  # loaded on the first walk between digits

    @classmethod
    def for_model(cls, model_dir: str | Path) -> "OnnxBackend":
        """The model folder's graphs, from the cache (exported there first, with torch, if missing)."""
        return cls(graph_folder(model_dir))

    @staticmethod
    def normal(seed: int):
        """shape -> standard normal float32 numbers from NumPy's generator seeded with `seed`."""
        rng = np.random.default_rng(seed)
        return lambda shape: rng.standard_normal(shape, dtype=np.float32)

    def images(self, z: np.ndarray, digits: np.ndarray | None) -> np.ndarray:
        """uint8 (N, 28, 28) for noise z (N, latent) and digits (N,), or None for an unconditional model."""
        feeds = {"z": np.asarray(z, dtype=np.float32)}
        if self.conditional:
            feeds["digits"] = np.asarray(digits, dtype=np.int64)
        return _to_uint8(self.session.run(None, feeds)[0])

    def interpolate(self, za: np.ndarray, zb: np.ndarray, steps: int, slerp: bool,
                    digits: tuple[int, int] | None) -> np.ndarray:
        """`steps` images from za to zb; with `digits`, the interpolation graph blends their label codes too."""
        t = np.linspace(0, 1, steps, dtype=np.float32)
        z = (spherical_path if slerp else linear_path)(za, zb, t)
        if digits is None:
            return self.images(z, None)
        if self._interpolation is None:
            self._interpolation = _session(self.folder / INTERPOLATION_GRAPH)
        feeds = {"z": z, "from_digits": np.full(steps, digits[0], dtype=np.int64),
                 "to_digits": np.full(steps, digits[1], dtype=np.int64), "blend": t}
        return _to_uint8(self._interpolation.run(None, feeds)[0])


def _session(path: Path):
    ort = import_extra("onnxruntime", "onnx", "the onnx backend")
    options = ort.SessionOptions()
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        options.intra_op_num_threads = int(threads)
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime's errors share no base class but Exception
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ModelFileError(f"{path}: not a graph onnxruntime can load ({reason}); delete it to export it again") from None


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """float in [-1, 1], (N, 1, 28, 28) -> uint8 (N, 28, 28), as `data.to_uint8` does for tensors."""
    return ((np.clip(images.reshape(-1, 28, 28), -1, 1) + 1) * 127.5).round().astype(np.uint8)

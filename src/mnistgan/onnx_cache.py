"""Where a model's ONNX graphs live for the onnx backend: `$MNISTGAN_HOME/cache/onnx/<key>/`.

The key is a hash of the model's config.json and model.safetensors, so a graph always
matches the weights it came from (a retrained or replaced model gets a new key, never a stale
graph), and one rule covers every model: bundled ones sit inside the package (read-only in
site-packages, inside the checkout in an editable install), registry versions are records not
to be touched, and a run's model/ is swapped whole by the next export. A cache miss exports
the graphs once, which needs torch; a hit needs only onnxruntime.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from mnistgan.errors import ModelFileError
from mnistgan.registry import home

GENERATOR_GRAPH = "generator.onnx"
INTERPOLATION_GRAPH = "interpolation.onnx"  # conditional models only
GRAPH_FORMAT = "mnistgan-onnx-1"  # part of the key: a change to the graphs' inputs or outputs bumps it
MODEL_FILES = ("config.json", "model.safetensors")

# torch.export traces with process-wide state: two server threads must not export at once.
_exporting = threading.Lock()


def cache_root() -> Path:
    return home() / "cache" / "onnx"


def graph_folder(model_dir: str | Path) -> Path:
    """The folder holding the model's graphs, exported first if they are not there yet."""
    folder = cache_root() / model_key(Path(model_dir))
    if not (folder / GENERATOR_GRAPH).is_file():
        with _exporting:
            if not (folder / GENERATOR_GRAPH).is_file():
                _export_graphs(Path(model_dir), folder)
    return folder


def model_key(model_dir: Path) -> str:
    digest = hashlib.sha256(GRAPH_FORMAT.encode())
    for name in MODEL_FILES:
        try:
            digest.update((model_dir / name).read_bytes())
        except OSError as e:
            raise ModelFileError(f"{model_dir / name}: cannot read ({e.strerror})") from None
    return digest.hexdigest()[:32]


def _export_graphs(model_dir: Path, folder: Path) -> None:
    from mnistgan.fileio import writable_dir
    from mnistgan.nets import load_generator
    from mnistgan.onnx_export import export_generator, export_interpolation

    G = load_generator(model_dir)
    writable_dir(folder, what="ONNX cache folder")
    if G.conditional:
        export_interpolation(G, folder / INTERPOLATION_GRAPH)
    export_generator(G, folder / GENERATOR_GRAPH)  # last: its presence says the folder is complete

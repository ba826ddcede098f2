"""Bring your own weights: a generator trained by another popular MNIST GAN script, as a mnistgan model folder.

    imported = import_model(Path("generator_model.pth"), "mlp-gan", Path("models/theirs"), name="theirs")
    Sampler.from_pretrained("theirs")        # generate, evaluate, compare and serve it like any other

`reading.py` reads the file as tensors only (a `.safetensors` file, or `torch.load` with
`weights_only=True`: nothing is unpickled into code), `formats.py` maps its tensors onto a
mnistgan Generator that computes the same function, and the folder is written as training
exports one (config.json + model.safetensors + info.json + card). Its info.json says where
the weights came from: the file, its format and its SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mnistgan import registry
from mnistgan.data import sha256_of
from mnistgan.errors import MnistganError
from mnistgan.fileio import writable_dir
from mnistgan.importers.formats import FORMATS, WeightFormat, to_generator, weight_format
from mnistgan.importers.reading import read_state_dict
from mnistgan.model_folder import export_model
from mnistgan.provenance import command_line

__all__ = ["FORMATS", "ImportedModel", "import_model"]


@dataclass(frozen=True)
class ImportedModel:
    model_dir: Path
    arch: str
    latent_dim: int
    conditional: bool
    registered: registry.ModelRef | None


def import_model(source: Path, format_name: str, out: Path, name: str | None = None) -> ImportedModel:
    """Write `source`'s generator to the new model folder `out` (and register it as `name`)."""
    source, out = Path(source), Path(out)
    fmt = weight_format(format_name)
    if name is not None:
        registry.parse_name(name)  # a bad name fails now, not after the folder is written
    _check_new_folder(out)
    G = to_generator(read_state_dict(source), fmt, source)
    export_model(G, out, provenance(source, fmt, name or out.name))
    ref = registry.add(out, name) if name is not None else None
    return ImportedModel(out, G.arch, G.latent_dim, G.conditional, ref)


def _check_new_folder(out: Path) -> None:
    # Writing the folder swaps it into place: aimed at an existing folder (a run, another model) it would replace it.
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MnistganError(f"{out} already exists; --out names a new model folder")
    writable_dir(out.parent, what="output directory")


def provenance(source: Path, fmt: WeightFormat, name: str) -> dict:
    """info.json of an imported model: no training facts, but where its weights came from."""
    return {"name": name, "preset": "imported",
            "imported_from": {"file": str(source.resolve()), "format": fmt.name, "sha256": sha256_of(source),
                              "command": command_line()}}


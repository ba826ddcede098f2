"""Read a weights file someone else wrote as tensors only: nothing in it ever runs.

`.safetensors` files hold tensors by design. Anything else goes through
`torch.load(weights_only=True)`, whose unpickler accepts tensors, dicts, lists and
plain numbers and refuses every other object *before* building it, so a file that
would run code when unpickled (a saved `nn.Module`, a crafted `__reduce__`) is refused
and never executed.
"""

from __future__ import annotations

import pickle
import re
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from mnistgan.errors import ModelFileError

# Training scripts save {"generator_state_dict": ..., "optimizer...": ..., "epoch": ...}; safetensors,
# which has no nesting, spells the same checkpoint with the key as a prefix.
CHECKPOINT_KEY = "generator_state_dict"
ZIP_MAGIC, PICKLE_PROTOCOL = b"PK\x03\x04", b"\x80"  # how torch.save's files begin (new format, legacy)
REFUSED_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The generator's weights in `path`: a bare state dict, or a checkpoint holding one under
    `generator_state_dict`. Every problem is a ModelFileError naming the file."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    loaded = _read_safetensors(path) if path.suffix == ".safetensors" else _read_torch(path)
    if not isinstance(loaded, dict):
        raise ModelFileError(f"{path}: holds a {type(loaded).__name__}, not a state dict of named tensors")
    state = _unwrap_checkpoint(loaded)
    not_tensors = sorted(str(k) for k, v in state.items() if not isinstance(v, torch.Tensor))
    if not state or not_tensors:
        what = f"entries that are not tensors ({', '.join(not_tensors[:3])})" if not_tensors else "no tensors"
        raise ModelFileError(f"{path}: not a state dict of a generator: {what}")
    return state


def _read_safetensors(path: Path) -> dict:
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as e:
        raise ModelFileError(f"{path}: not a valid safetensors file ({str(e).splitlines()[0]})") from None


def _read_torch(path: Path) -> object:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != ZIP_MAGIC and magic[:1] != PICKLE_PROTOCOL:
        raise ModelFileError(f"{path}: not a PyTorch weights file (torch.save writes a zip archive or a pickle)")
    try:
        with warnings.catch_warnings():  # torch's remarks on pickle protocols are not the user's business
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:  # what weights_only refuses: an object it would have to build by running code
        refused = REFUSED_GLOBAL.search(str(e))
        inside = f" ({refused.group(1)})" if refused else ""
        raise ModelFileError(f"{path}: refused: not tensors only{inside}; loading it would run pickled code "
                             "(or it is corrupt). Save the generator's state_dict(), or convert it to .safetensors"
                             ) from None
    # The weights-only unpickler reports a truncated or foreign file as whatever broke first
    # (EOFError, KeyError, RuntimeError, zip errors...): any of them means "not a file we can read".
    except Exception as e:
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ModelFileError(f"{path}: not a PyTorch weights file ({detail})") from None


def _unwrap_checkpoint(loaded: dict) -> dict:
    if isinstance(loaded.get(CHECKPOINT_KEY), dict):
        return dict(loaded[CHECKPOINT_KEY])
    prefix = CHECKPOINT_KEY + "."
    if any(isinstance(k, str) and k.startswith(prefix) for k in loaded):
        return {k[len(prefix):]: v for k, v in loaded.items() if isinstance(k, str) and k.startswith(prefix)}
    return dict(loaded)

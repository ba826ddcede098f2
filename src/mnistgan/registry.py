"""Where models live and how they are named.

Bundled models ship inside the package (`mnistgan/pretrained/<name>/`, version 1;
`$MNISTGAN_BUNDLED` can point elsewhere).
The user's own models live under `$MNISTGAN_HOME/models/<name>/v<N>/`
(default `~/.mnistgan`). A model is addressed by path, by `name` (its newest
version), by `name@N` or, in `resolve_model` only, by `hf:USER/REPO[@REVISION]`
(hub.py). `add` never overwrites: a known name gets a new version.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from mnistgan.errors import MnistganError
from mnistgan.hub import download as download_from_hub
from mnistgan.hub import is_hub_spec

BUNDLED = Path(__file__).parent / "pretrained"
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")  # \Z, not $: "name\n" is no name
VERSION = re.compile(r"[0-9]{1,9}\Z")  # ASCII digits only: "²".isdigit() is True, int("²") raises
DEFAULT_MODEL = "cdcgan"  # the best conditional model bundled (see README)


def bundled_root() -> Path:
    """Where bundled models are looked up: the package's, unless $MNISTGAN_BUNDLED names another
    folder (an empty one serves only your own models)."""
    return Path(os.environ.get("MNISTGAN_BUNDLED") or BUNDLED)


def home() -> Path:
    return Path(os.environ.get("MNISTGAN_HOME") or Path.home() / ".mnistgan").expanduser()


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: int
    path: Path
    bundled: bool

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


def user_models() -> Path:
    return home() / "models"


def _is_model_dir(p: Path) -> bool:
    return (p / "config.json").is_file() and (p / "model.safetensors").is_file()


def versions(name: str) -> list[ModelRef]:
    refs = []
    if _is_model_dir(bundled_root() / name):
        refs.append(ModelRef(name, 1, bundled_root() / name, True))
    user = user_models() / name
    if user.is_dir():
        for d in user.iterdir():
            m = re.fullmatch(r"v(\d+)", d.name)
            if m and _is_model_dir(d):
                refs.append(ModelRef(name, int(m.group(1)), d, False))
    return sorted(refs, key=lambda r: r.version)


def all_models() -> list[ModelRef]:
    names = set()
    for root in (bundled_root(), user_models()):
        if root.is_dir():
            names |= {d.name for d in root.iterdir() if d.is_dir() and NAME.match(d.name)}
    return [ref for name in sorted(names) for ref in versions(name)]


def parse_name(spec: str) -> tuple[str, int | None]:
    name, at, version = spec.partition("@")
    if not NAME.match(name) or (at and not VERSION.match(version)):
        raise MnistganError(f"invalid model name {spec!r}: use NAME or NAME@VERSION (lowercase letters, digits, . _ -)")
    return name, int(version) if version else None


def lookup(spec: str) -> ModelRef:
    """A registry name only (never a path): what the server accepts from requests."""
    name, version = parse_name(spec)
    refs = versions(name)
    if not refs:
        known = ", ".join(sorted({r.name for r in all_models()})) or "none"
        raise MnistganError(f"unknown model {name!r}; known models: {known}")
    if version is None:
        return refs[-1]
    for r in refs:
        if r.version == version:
            return r
    raise MnistganError(f"model {name!r} has no version {version}; versions: {', '.join(str(r.version) for r in refs)}")


def resolve_model(spec: str | os.PathLike) -> tuple[Path, str]:
    """(model folder, display name) for a path, a registry name or `hf:USER/REPO[@REVISION]`.

    Only commands a user runs come here; `lookup` (what the server takes from requests) never
    downloads, so a client cannot make the server fetch arbitrary repos.
    """
    if is_hub_spec(spec):
        return download_from_hub(spec), spec
    path = Path(spec)
    if path.is_dir():
        if (path / "model").is_dir() and not _is_model_dir(path):
            path = path / "model"  # a run directory: use its exported model
        return path, str(spec)
    if isinstance(spec, str) and ("/" in spec or os.sep in spec):
        raise MnistganError(f"{spec}: no such model folder")
    ref = lookup(str(spec))
    return ref.path, ref.id


def add(run_or_model_dir: str | os.PathLike, name: str) -> ModelRef:
    """Copy a run's exported model into the registry as a new version of `name`."""
    from mnistgan.fileio import writable_dir
    from mnistgan.nets import load_generator

    parse_name(name)
    src, _ = resolve_model(run_or_model_dir) if Path(run_or_model_dir).exists() else (None, None)
    if src is None:
        raise MnistganError(f"{run_or_model_dir}: no such run or model folder")
    load_generator(src)  # refuse to register something that does not load
    target_root = writable_dir(user_models() / name, what="registry folder")
    staging = target_root / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(src, staging)
    # os.rename onto a new directory name is atomic and fails if it exists, so two
    # concurrent `add`s can never take the same version: the loser tries the next one.
    version = max((r.version for r in versions(name)), default=0) + 1
    while True:
        try:
            os.rename(staging, target_root / f"v{version}")
            break
        except OSError:
            if not (target_root / f"v{version}").exists():
                raise
            version += 1
    return ModelRef(name, version, target_root / f"v{version}", False)

"""A ready-to-push Hugging Face Space (Gradio SDK) that serves chosen models with `mnistgan serve`.

    DIR/README.md         the Spaces front matter: sdk gradio at the installed version, app_file app.py
    DIR/app.py            space_app.py: `mnistgan serve` on 0.0.0.0:7860 (or GRADIO_SERVER_PORT / PORT)
    DIR/requirements.txt  mnistgan's requirements and its `serve` extra, pinned to the installed versions
    DIR/mnistgan/         a copy of this package, without its bundled models
    DIR/models/NAME/      the chosen model folders, the only ones the Space serves

Why a copy of the package: mnistgan is not on PyPI, and a `git+https://` requirement would need the
network while building and would install whatever that branch holds by then. The copy is the code
that was tested with these models, and app.py imports it from its own folder.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from mnistgan import hub, registry
from mnistgan.errors import MnistganError
from mnistgan.fileio import writable_dir
from mnistgan.model_folder import read_info

PACKAGE = Path(__file__).parent
APP = PACKAGE / "space_app.py"
TORCH_WHEELS = "https://download.pytorch.org/whl/{build}"  # where builds such as torch 2.13.0+cpu live
SERVE_EXTRA = "serve"
CARD = """---
{front_matter}---

# {title}

Handwritten digits drawn by GANs trained on MNIST: mnistgan's web page at `/` and its REST API under
`/v1` (documented at `/docs`), as `mnistgan serve` runs them.

## Models

{listing}

## Files

- `app.py`: runs `mnistgan serve` on port 7860 (or `GRADIO_SERVER_PORT` / `PORT`)
- `mnistgan/`: a copy of the mnistgan package, which is not on PyPI
- `models/NAME/`: each model folder (config.json, model.safetensors, info.json, card)
- `requirements.txt`: mnistgan's requirements, pinned to the versions this Space was built with

## Push

```bash
hf repos create USER/SPACE --type space --sdk gradio
hf upload USER/SPACE . --type space
```
"""
REQUIREMENTS_HEADER = ("# mnistgan's requirements, pinned to the versions this Space was built with.\n"
                       "# mnistgan itself is the copy in mnistgan/ beside app.py: it is not on PyPI.\n")


@dataclass(frozen=True)
class Space:
    folder: Path
    models: list[str]


def served_name(spec: str, folder: Path) -> str:
    """The name the Space serves a model under: its registry name, else its repo's or run's folder name."""
    if hub.is_hub_spec(spec):
        raw = hub.parse_spec(spec).repo_id.split("/")[1]
    elif Path(spec).is_dir():
        raw = folder.parent.name if folder.name in ("model", "best") else folder.name  # a run's export: the run
    else:
        raw = registry.parse_name(spec)[0]
    name = re.sub(r"[^a-z0-9._-]+", "-", raw.lower()).strip("-._")[:64]
    if not registry.NAME.match(name):
        raise MnistganError(f"{spec}: no model name can be made from {raw!r}; register it first (mnistgan models add)")
    return name


def chosen_models(specs: list[str]) -> dict[str, Path]:
    """{served name: model folder}, all resolved (and downloaded) before anything is written."""
    chosen: dict[str, Path] = {}
    for spec in specs:
        folder, _ = registry.resolve_model(spec)
        name = served_name(spec, folder)
        if name in chosen:
            raise MnistganError(f"two of the models would both be served as {name!r}: "
                                "register one under another name (mnistgan models add ... --name NAME)")
        chosen[name] = folder
    return chosen


def pinned_requirements() -> list[str]:
    """mnistgan's declared requirements (base and `serve`), each pinned to the version installed here."""
    from importlib import metadata

    from packaging.requirements import Requirement

    try:
        declared = [Requirement(text) for text in metadata.requires("mnistgan") or []]
    except metadata.PackageNotFoundError:
        raise MnistganError("mnistgan is not installed (pip install -e .): its requirements cannot be read") from None
    lines = []
    for req in declared:
        if req.marker is not None and not req.marker.evaluate({"extra": SERVE_EXTRA}):
            continue
        version = metadata.version(req.name)
        if "+" in version and req.name == "torch":  # a local build label (cpu, cu128): only PyTorch's index has it
            lines.insert(0, f"--extra-index-url {TORCH_WHEELS.format(build=version.split('+')[1])}")
        lines.append(f"{req.name}=={version}")
    return lines


def readme(title: str, models: dict[str, Path]) -> str:
    from importlib.metadata import version

    front = {"title": title, "emoji": "✍️", "colorFrom": "indigo", "colorTo": "gray", "sdk": "gradio",
             "sdk_version": version("gradio"), "app_file": "app.py", "license": "mit",
             "short_description": "GANs that draw handwritten digits (MNIST)"}
    # JSON strings are YAML strings too: a title with a colon or a quote cannot break the front matter.
    front_matter = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in front.items())
    listing = "\n".join(f"- `{name}`: preset {read_info(folder).get('preset', '?')}" for name, folder in models.items())
    return CARD.format(front_matter=front_matter, title=title, listing=listing)


def write_space(specs: list[str], out: Path, title: str = "mnistgan") -> Space:
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MnistganError(f"{out} exists and is not an empty folder: choose a new --out")
    if not title.strip() or "\n" in title:
        raise MnistganError("--title must be one line of text")
    models = chosen_models(specs)
    requirements = pinned_requirements()
    writable_dir(out, what="Space folder")
    for name, folder in models.items():
        shutil.copytree(folder, out / "models" / name)  # a cached Hub snapshot's symlinks become files
    shutil.copytree(PACKAGE, out / "mnistgan", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "pretrained"))
    shutil.copyfile(APP, out / "app.py")
    (out / "requirements.txt").write_text(REQUIREMENTS_HEADER + "\n".join(requirements) + "\n")
    (out / "README.md").write_text(readme(title, models), encoding="utf-8")
    return Space(out, list(models))

"""Copy a trained model into the package as a bundled model, with half-precision weights.

    .venv/bin/python scripts/bundle_model.py RUN_OR_MODEL_DIR NAME
    .venv/bin/mnistgan evaluate --model NAME --update-card     # metrics into its card

fp16 halves the download and install size; the weights are cast back to fp32
when loaded, and the card's metrics are measured on these very weights. The
model's training curves (losses.png) and architecture summary come along.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from safetensors.torch import load_file, save_file

from mnistgan.model_folder import CURVES, read_info, write_info
from mnistgan.nets import load_generator
from mnistgan.registry import BUNDLED, parse_name, resolve_model


def bundle(source: str, name: str) -> Path:
    parse_name(name)
    model_dir, _ = resolve_model(source)
    load_generator(model_dir)  # refuse what does not load
    target = BUNDLED / name
    staging = BUNDLED / f".{name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(model_dir / "config.json", staging / "config.json")
    if (model_dir / CURVES).is_file():  # the training curves travel with the model (the app's Model info tab)
        shutil.copy2(model_dir / CURVES, staging / CURVES)
    weights = {k: (v.half() if v.is_floating_point() else v) for k, v in load_file(model_dir / "model.safetensors").items()}
    save_file(weights, str(staging / "model.safetensors"))
    info = read_info(model_dir)
    info.pop("metrics", None)  # re-measured on the fp16 weights by `mnistgan evaluate --update-card`
    info["name"] = name
    info["weights"] = "float16 (cast to float32 when loaded)"
    write_info(staging, info)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path = bundle(sys.argv[1], sys.argv[2])
    size = sum(f.stat().st_size for f in path.iterdir())
    print(f"bundled {sys.argv[1]} as {sys.argv[2]} in {path} ({size / 1e6:.2f} MB)")
    print(json.dumps(read_info(path), indent=2)[:400])

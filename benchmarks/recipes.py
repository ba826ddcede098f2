"""What holds a recipe back: train variants of a preset for the same few epochs and score each alike.

Each variant is a preset plus changed training options and, where the question is architectural,
changed preset fields (e.g. `label_norm`, `minibatch_std`), which have no command-line flag. Every run
is scored like `mnistgan evaluate --num 10000 --seed 0`. One JSON line per variant.

    .venv/bin/python benchmarks/recipes.py --list
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/recipes.py dcgan-published dcgan-now --epochs 3
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time

from mnistgan import presets
from mnistgan.metrics.evaluation import compute_metrics
from mnistgan.sampling import Sampler
from mnistgan.train.session import build_trainer

# name: (preset, preset fields changed, training options changed). "published" = the recipe as first shipped.
VARIANTS = {
    "dcgan-published": ("dcgan", {"minibatch_std": False},
                        {"batch_size": 128, "lr_g": 2e-4, "lr_d": 2e-4, "g_width": 64, "d_width": 64, "latent_dim": 100}),
    "dcgan-now": ("dcgan", {}, {}),
    "dcgan-now-w64": ("dcgan", {}, {"g_width": 64, "d_width": 64}),
    # R3GAN's zero-centred penalties on the plain DCGAN (lazy, as the r3gan preset applies them)
    "dcgan-r1r2": ("dcgan", {}, {"r1_gamma": 0.1, "r2_gamma": 0.1, "reg_every": 4}),
    "wgan-gp-published": ("wgan-gp", {}, {"lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.0, "n_critic": 5, "g_width": 64,
                                          "d_width": 64, "latent_dim": 100}),
    "wgan-gp-lr5e-4-2critic": ("wgan-gp", {}, {"lr_g": 5e-4, "lr_d": 5e-4, "n_critic": 2}),
    "wgan-gp-now": ("wgan-gp", {}, {}),
    "hinge-sn-published": ("hinge-sn", {"label_norm": False}, {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9}),
    "hinge-sn-labelnorm": ("hinge-sn", {}, {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9}),
    "hinge-sn-now": ("hinge-sn", {}, {}),
    "cdcgan-now": ("cdcgan", {}, {}),
    # recall: does the AC-GAN term (on D's real digits and G's fakes) trade diversity for class separability?
    "cdcgan-aux0.25": ("cdcgan", {}, {"aux_weight": 0.25}),
    "cdcgan-aux0": ("cdcgan", {}, {"aux_weight": 0.0}),
    "cdcgan-no-ema": ("cdcgan", {}, {"ema_decay": 0.0}),  # samples from G itself
    "cdcgan-w64": ("cdcgan", {}, {"g_width": 64, "d_width": 64}),
    "cdcgan-r1r2": ("cdcgan", {}, {"r1_gamma": 0.1, "r2_gamma": 0.1, "reg_every": 4}),
    # the penalties cost conditional accuracy: a heavier AC-GAN term, or lighter penalties, to win it back
    "cdcgan-r1r2-aux2": ("cdcgan", {}, {"r1_gamma": 0.1, "r2_gamma": 0.1, "reg_every": 4, "aux_weight": 2.0}),
    "cdcgan-r1r2-gamma0.03": ("cdcgan", {}, {"r1_gamma": 0.03, "r2_gamma": 0.03, "reg_every": 4}),
    "stylegan-now": ("stylegan", {}, {}),
    "r3gan-reference-lr": ("r3gan", {}, {"lr_g": 2e-4, "lr_d": 2e-4, "r1_gamma": 0.05, "r2_gamma": 0.05,
                                          "reg_every": 1}),
    "r3gan-now": ("r3gan", {}, {}),
}


def run_variant(name: str, epochs: int, seed: int) -> dict:
    base, fields, options = VARIANTS[name]
    preset = presets.get_preset(base)
    if fields:  # a throwaway preset with the changed architecture fields
        preset = dataclasses.replace(preset, name=f"variant-{name}", **fields)
        presets.PRESETS[preset.name] = preset
    started = time.time()
    with tempfile.TemporaryDirectory() as out:
        trainer = build_trainer(preset.name, None, {"epochs": epochs, "seed": seed, "eval_samples": 2000, **options},
                                out, None, log=lambda m: None, progress=False)
        model = trainer.fit()
        s = Sampler.from_pretrained(model)
        images, labels = s.sample(10_000, seed=0)
        wanted = ("fid", "precision", "recall") + (("cond_acc",) if s.conditional else ())
        scores = compute_metrics(images, labels, seed=0, metrics=wanted)
    return {"variant": name, "preset": base, "fields": fields, "options": options, "epochs": epochs,
            "generator_steps": trainer.progress.step, "train_s": round(time.time() - started),
            **{k: round(float(scores[k]), 4) for k in wanted}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("variants", nargs="*")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list or not args.variants:
        for name, (base, fields, options) in VARIANTS.items():
            print(f"{name:28s} {base:9s} {json.dumps(fields)} {json.dumps(options)}")
        return
    for name in args.variants:
        print(json.dumps(run_variant(name, args.epochs, args.seed)), flush=True)


if __name__ == "__main__":
    main()

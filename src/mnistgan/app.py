"""The web page (Gradio Blocks), mounted at `/` beside the REST API by `mnistgan serve`.

Four tabs over the registry's models, all through `Sampler`: Generate, Interpolate,
Compare (A/B votes stored by `VoteStore`) and Model info. It works offline: no
analytics, no web fonts, nothing fetched from outside the server.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import random
import shlex
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from mnistgan import registry  # noqa: E402
from mnistgan.api import ModelService, grid_columns  # noqa: E402
from mnistgan.errors import MnistganError  # noqa: E402
from mnistgan.model_folder import read_info  # noqa: E402
from mnistgan.fileio import atomic_write_bytes  # noqa: E402
from mnistgan.grids import grid_image, upscale  # noqa: E402
from mnistgan.outputs import npz_bytes, png_bytes  # noqa: E402
from mnistgan.votes import VoteStore  # noqa: E402
from mnistgan.formatting import fmt  # noqa: E402

DIGITS = ["any"] + [str(d) for d in range(10)]
MAX_UI_SEED = 2**31 - 1
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]
THEME = gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=["ui-monospace", "Menlo", "monospace"])
CSS = """
.digits img { image-rendering: pixelated; }
#intro { max-width: 60rem; }
footer { display: none !important; }
"""
INTRO = """# mnistgan: handwritten digits drawn by GANs
Each model here is a generative adversarial network trained on MNIST's 60,000 handwritten digits.
It turns random noise (picked by the **seed**) into new digits that never existed.
*Conditional* models draw the digit you ask for; the others draw whichever digit they like.
Same model, same settings, same seed: the same picture, every time.
Scripts can use the same models through the [REST API](/docs)."""
NO_MODELS = """**No models are installed yet.** Train one and register it, then reload this page:
```bash
mnistgan train --preset cdcgan --out runs/my-model
mnistgan models add runs/my-model --name my-model
```"""
VOTE_COLUMNS = ["Model A", "Model B", "A wins", "B wins", "Votes", "A win rate"]
METRIC_COLUMNS = ["Metric", "This model", "Real data (floor)"]


class FileStore:
    """Downloadable outputs in a private temp folder, named by their content so repeats overwrite."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="mnistgan-app-"))
        atexit.register(shutil.rmtree, self.root, True)

    def write(self, stem: str, suffix: str, data: bytes) -> str:
        path = self.root / f"{stem.replace('@', '-v')}-{hashlib.sha256(data).hexdigest()[:10]}{suffix}"
        if not path.exists():
            atomic_write_bytes(path, data)
        return str(path)


def _choices(models: ModelService) -> list[tuple[str, str]]:
    out = []
    for m in models.listing():
        kind = "broken" if "error" in m else ("conditional" if m["conditional"] else "any digit")
        out.append((f"{m['id']} · {m.get('preset') or '?'} · {kind}", m["id"]))
    return out


def _default(choices: list[tuple[str, str]], avoid: str | None = None) -> str | None:
    """The newest version of the default model (else of the first model); with `avoid`, a different one, same name first."""
    ids = [v for _, v in choices if v != avoid]
    if not ids:
        return None
    names = [i.partition("@")[0] for i in ids]
    name = (avoid or "").partition("@")[0]
    if name not in names:
        name = registry.DEFAULT_MODEL if registry.DEFAULT_MODEL in names else names[0]
    return [i for i, n in zip(ids, names) if n == name][-1]


def _digit(value: str | None) -> int | None:
    return None if value in (None, "", "any") else int(value)


def _seed(value) -> int:
    if value is None or not float(value).is_integer() or not 0 <= value <= MAX_UI_SEED:
        raise gr.Error(f"The seed must be a whole number from 0 to {MAX_UI_SEED}.")
    return int(value)


def _errors(fn):
    """Show the library's one-line messages in the page instead of a generic 'Error'."""
    def wrapped(*args):
        if args and args[0] in (None, ""):
            raise gr.Error("Pick a model first (none installed? see the note at the top).")
        try:
            return fn(*args)
        except MnistganError as e:
            raise gr.Error(str(e)) from None
    wrapped.__name__ = fn.__name__
    return wrapped


def training_curves(model_dir: Path, info: dict) -> Path | None:
    """losses.png of the run that trained this model: named by info.json's command, else the folder's parent run."""
    candidates = [model_dir / "losses.png"]
    try:
        argv = shlex.split(info.get("command") or "")
    except ValueError:
        argv = []
    for flag in ("--out", "--resume"):
        if flag in argv[:-1]:
            candidates.append(Path(argv[argv.index(flag) + 1]) / "losses.png")
    candidates.append(model_dir.parent / "losses.png")
    return next((p for p in candidates if p.is_file()), None)


def _strip_front_matter(card: str) -> str:
    if card.startswith("---"):
        end = card.find("\n---", 3)
        if end != -1:
            return card[end + 4:].lstrip()
    return card


def _gif(frames: np.ndarray, scale: int = 6) -> bytes:
    import io

    pics = [upscale(255 - f, scale) for f in frames]
    pics = pics + pics[-2:0:-1]  # there and back again, so the loop has no jump
    buf = io.BytesIO()
    pics[0].save(buf, format="GIF", save_all=True, append_images=pics[1:], duration=120, loop=0)
    return buf.getvalue()


def build_ui(models: ModelService, votes: VoteStore, files: FileStore | None = None) -> gr.Blocks:
    files = files or FileStore()

    # ------------------------------------------------------------ handlers

    def conditional(model_id) -> bool:
        try:
            return models.sampler(model_id).conditional
        except MnistganError:
            return False

    def digit_picker(model_id):
        if not model_id:
            return gr.update()
        if conditional(model_id):
            return gr.update(interactive=True, info="Which digit to draw; 'any' cycles 0 to 9.")
        return gr.update(value="any", interactive=False, info="This model is unconditional: it picks the digits itself.")

    def pair_digit_picker(a, b):
        if not a or not b:
            return gr.update()
        both = conditional(a) and conditional(b)
        return gr.update(interactive=True) if both else gr.update(value="any", interactive=False)

    @_errors
    def generate(model_id, digit, count, seed, truncation, temperature):
        s = models.sampler(model_id)
        digits = _digit(digit)
        images, labels = s.sample(int(count), digits, _seed(seed), truncation or None, float(temperature))
        nrow = grid_columns(s.conditional, digits, len(images))
        stem = f"{s.name}-seed{int(seed)}"
        what = f"digit {digits}" if digits is not None else ("digits 0-9 in turn" if s.conditional else "any digit")
        caption = f"{len(images)} × {what} from **{s.name}**, seed {int(seed)}."
        return (grid_image(images, nrow, scale=4), files.write(stem, ".png", png_bytes(images, nrow)),
                files.write(stem, ".npz", npz_bytes(images, labels)), caption)

    @_errors
    def interpolate(model_id, from_digit, to_digit, seed_a, seed_b, steps, slerp):
        s = models.sampler(model_id)
        a, b = (int(from_digit), int(to_digit)) if s.conditional else (None, None)
        frames = s.interpolate(int(steps), a, b, (_seed(seed_a), _seed(seed_b)), slerp=bool(slerp))
        gif = files.write(f"{s.name}-interpolation", ".gif", _gif(frames))
        return grid_image(frames, nrow=len(frames), scale=2), gif, gif

    @_errors
    def compare(a, b, digit, count, seed):
        if not b:
            raise gr.Error("Pick a second model to compare with.")
        if a == b:
            raise gr.Error("Pick two different models (or two versions of one model).")
        sa, sb = models.sampler(a), models.sampler(b)
        digits = _digit(digit)
        grids = []
        for s in (sa, sb):
            images, _ = s.sample(int(count), digits, _seed(seed))
            grids.append(grid_image(images, grid_columns(s.conditional, digits, len(images)), scale=3))
        shown = {"a": sa.name, "b": sb.name, "digit": digits, "seed": int(seed)}
        status = f"Which side looks more like real handwriting? Left: **{sa.name}**, right: **{sb.name}**."
        on = gr.update(interactive=True)
        return (gr.update(value=grids[0], label=f"Left: {sa.name}"), gr.update(value=grids[1], label=f"Right: {sb.name}"),
                shown, status, on, on)

    def vote_table():
        return [[p.a, p.b, p.wins_a, p.wins_b, p.votes, f"{p.win_rate_a:.0%}"] for p in votes.win_rates()]

    def vote(shown, winner):
        if not shown:
            raise gr.Error("Generate a comparison first, then vote.")
        votes.record(shown["a"], shown["b"], winner, shown["digit"], shown["seed"])
        best, other = (shown["a"], shown["b"]) if winner == "left" else (shown["b"], shown["a"])
        off = gr.update(interactive=False)
        return (None, f"Vote recorded: **{best}** beat {other}. Shuffle the seed and compare again to vote once more.",
                vote_table(), off, off)

    def model_info(model_id):
        if not model_id:
            return "", gr.update(visible=False), None, ""
        try:
            ref = models.find(model_id)
            info = read_info(ref.path)
        except MnistganError as e:
            raise gr.Error(str(e)) from None
        card_path = ref.path / "README.md"
        card = _strip_front_matter(card_path.read_text()) if card_path.is_file() else f"# {ref.id}\n(no model card)"
        metrics = info.get("metrics") or {}
        floor = metrics.get("floor") or {}
        rows = [[k, fmt(v), fmt(floor.get(k))] for k, v in (metrics.get("model") or {}).items()]
        curves = training_curves(ref.path, info)
        notes = [] if rows else ["No quality metrics have been recorded for this model yet."]
        notes += [] if curves else ["The training curves are not available (the run that trained it is not on this machine)."]
        return card, gr.update(value=rows, visible=bool(rows)), str(curves) if curves else None, " ".join(notes)

    def refresh():
        choices = _choices(models)
        first = _default(choices)
        second = _default(choices, avoid=first)
        pick = gr.update(choices=choices, value=first)
        return (pick, pick, pick, gr.update(choices=choices, value=second), pick,
                gr.update(visible=not choices), vote_table())

    # ------------------------------------------------------------ layout

    choices = _choices(models)
    first, second = _default(choices), _default(choices, avoid=_default(choices))

    def model_dropdown(elem_id, value=first, label="Model"):
        return gr.Dropdown(choices=choices, value=value, label=label, elem_id=elem_id,
                           info="NAME@VERSION · preset · what it draws")

    with gr.Blocks(title="mnistgan: digits drawn by GANs", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        gr.Markdown(INTRO, elem_id="intro")
        banner = gr.Markdown(NO_MODELS, visible=not choices, elem_id="no-models")
        with gr.Tabs():
            with gr.Tab("Generate", id="generate", elem_id="tab-generate"):
                with gr.Row():
                    with gr.Column(scale=2, min_width=320):
                        g_model = model_dropdown("gen-model")
                        g_digit = gr.Radio(DIGITS, value="any", label="Digit", elem_id="gen-digit",
                                           info="Which digit to draw; 'any' cycles 0 to 9.")
                        g_count = gr.Slider(1, 64, value=16, step=1, label="How many", elem_id="gen-count")
                        with gr.Row():
                            g_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_UI_SEED, label="Seed",
                                               elem_id="gen-seed", scale=3)
                            g_shuffle = gr.Button("Shuffle seed", elem_id="gen-shuffle", scale=1, size="sm")
                        with gr.Accordion("Noise settings", open=False):
                            g_trunc = gr.Slider(0, 3, value=0, step=0.1, label="Truncation (0 = off)",
                                                info="Redraw noise values beyond this size: cleaner but more alike digits.")
                            g_temp = gr.Slider(0, 2, value=1, step=0.05, label="Temperature",
                                               info="Scale of the noise: low is tidy and uniform, high is wild.")
                        g_go = gr.Button("Generate", variant="primary", elem_id="gen-button")
                    with gr.Column(scale=3):
                        g_image = gr.Image(label="Generated digits", type="pil", format="png", interactive=False,
                                           elem_id="gen-image", elem_classes="digits", height=460)
                        g_caption = gr.Markdown(elem_id="gen-caption")
                        with gr.Row():
                            g_png = gr.DownloadButton("Download PNG", elem_id="gen-png", size="sm")
                            g_npz = gr.DownloadButton("Download NPZ (uint8 images + labels)", elem_id="gen-npz", size="sm")
            with gr.Tab("Interpolate", id="interpolate", elem_id="tab-interpolate"):
                gr.Markdown("Walk smoothly from one digit (and seed) to another: every frame is a real output of the model.")
                with gr.Row():
                    with gr.Column(scale=2, min_width=320):
                        i_model = model_dropdown("int-model")
                        with gr.Row():
                            i_from = gr.Dropdown(DIGITS[1:], value="1", label="From digit", elem_id="int-from")
                            i_to = gr.Dropdown(DIGITS[1:], value="7", label="To digit", elem_id="int-to")
                        with gr.Row():
                            i_seed_a = gr.Number(0, precision=0, minimum=0, maximum=MAX_UI_SEED, label="From seed")
                            i_seed_b = gr.Number(1, precision=0, minimum=0, maximum=MAX_UI_SEED, label="To seed")
                        i_steps = gr.Slider(2, 32, value=10, step=1, label="Steps", elem_id="int-steps")
                        i_slerp = gr.Checkbox(False, label="Spherical path (slerp)",
                                              info="Keeps the noise at a typical size along the way.")
                        i_go = gr.Button("Interpolate", variant="primary", elem_id="int-button")
                    with gr.Column(scale=3):
                        i_strip = gr.Image(label="Frames, left to right", type="pil", format="png", interactive=False,
                                           elem_id="int-strip", elem_classes="digits")
                        i_gif = gr.Image(label="Animation", type="filepath", interactive=False, elem_id="int-gif",
                                         elem_classes="digits", height=220)
                        i_file = gr.DownloadButton("Download GIF", elem_id="int-download", size="sm")
            with gr.Tab("Compare (A/B)", id="compare", elem_id="tab-compare"):
                gr.Markdown("Two models draw the same digits from the same seeds. Vote for the better side; "
                            "votes are saved and the table below keeps the score.")
                with gr.Row():
                    c_a = model_dropdown("cmp-a", label="Left model")
                    c_b = model_dropdown("cmp-b", value=second, label="Right model")
                with gr.Row():
                    c_digit = gr.Radio(DIGITS, value="any", label="Digit", elem_id="cmp-digit", scale=3)
                    c_count = gr.Slider(1, 64, value=16, step=1, label="How many", scale=2)
                    c_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_UI_SEED, label="Seed", scale=1)
                    c_shuffle = gr.Button("Shuffle seed", scale=1, size="sm")
                c_go = gr.Button("Generate both", variant="primary", elem_id="cmp-button")
                with gr.Row():
                    c_left = gr.Image(label="Left", type="pil", format="png", interactive=False, elem_id="cmp-left",
                                      elem_classes="digits", height=380)
                    c_right = gr.Image(label="Right", type="pil", format="png", interactive=False, elem_id="cmp-right",
                                       elem_classes="digits", height=380)
                with gr.Row():
                    v_left = gr.Button("◀ Left is better", interactive=False, elem_id="vote-left")
                    v_right = gr.Button("Right is better ▶", interactive=False, elem_id="vote-right")
                c_status = gr.Markdown(elem_id="cmp-status")
                c_shown = gr.State(None)
                c_table = gr.Dataframe(value=vote_table(), headers=VOTE_COLUMNS, label="Win rates (A is first by name)",
                                       interactive=False, elem_id="vote-table", wrap=True)
            with gr.Tab("Model info", id="info", elem_id="tab-info"):
                m_model = model_dropdown("info-model")
                with gr.Row():
                    with gr.Column(scale=1):
                        m_card = gr.Markdown(elem_id="info-card")
                    with gr.Column(scale=1):
                        m_metrics = gr.Dataframe(headers=METRIC_COLUMNS, label="Quality metrics (lower FID/KID is better)",
                                                 interactive=False, elem_id="info-metrics", visible=False)
                        gr.Markdown("**Training curves**: losses and discriminator outputs of the run that trained it.")
                        m_curves = gr.Image(show_label=False, type="filepath", interactive=False, elem_id="info-curves")
                        m_note = gr.Markdown(elem_id="info-note")

        # ------------------------------------------------------------ wiring

        def shuffle():
            return random.randrange(MAX_UI_SEED)

        on = {"api_visibility": "private"}  # the page's own calls; scripts use the REST API
        info_out = [m_card, m_metrics, m_curves, m_note]
        vote_out = [c_shown, c_status, c_table, v_left, v_right]
        g_model.change(digit_picker, g_model, g_digit, **on)
        g_shuffle.click(shuffle, None, g_seed, **on)
        g_go.click(generate, [g_model, g_digit, g_count, g_seed, g_trunc, g_temp], [g_image, g_png, g_npz, g_caption],
                   **on)
        i_go.click(interpolate, [i_model, i_from, i_to, i_seed_a, i_seed_b, i_steps, i_slerp], [i_strip, i_gif, i_file],
                   **on)
        for dd in (c_a, c_b):
            dd.change(pair_digit_picker, [c_a, c_b], c_digit, **on)
        c_shuffle.click(shuffle, None, c_seed, **on)
        c_go.click(compare, [c_a, c_b, c_digit, c_count, c_seed], [c_left, c_right, c_shown, c_status, v_left, v_right],
                   **on)
        v_left.click(lambda shown: vote(shown, "left"), c_shown, vote_out, **on)
        v_right.click(lambda shown: vote(shown, "right"), c_shown, vote_out, **on)
        m_model.change(model_info, m_model, info_out, **on)
        demo.load(refresh, None, [g_model, i_model, c_a, c_b, m_model, banner, c_table], **on).then(
            model_info, m_model, info_out, **on)
    demo.queue(default_concurrency_limit=2, max_size=64)
    return demo


def mount_ui(app: FastAPI, models: ModelService, votes: VoteStore) -> FastAPI:
    files = FileStore()
    demo = build_ui(models, votes, files)
    return gr.mount_gradio_app(app, demo, path="/", theme=THEME, css=CSS, ssr_mode=False, footer_links=[],
                               show_error=True, allowed_paths=[str(files.root)])

"""The web page (Gradio Blocks): the tabs assembled, mounted at `/` beside the REST API.

Five tabs over the registry's models, all through `ModelService`: Generate, Interpolate,
Style mixing, Compare (A/B votes stored by `VoteStore`, or one model under two settings) and Model info,
plus the named endpoints scripts call (endpoints.py). It works offline: no analytics, no
web fonts, nothing fetched from outside the server.
"""

from __future__ import annotations

import os

import gradio as gr
from fastapi import FastAPI

from mnistgan.serve.service import ModelService
from mnistgan.serve.ui.compare import compare_tab
from mnistgan.serve.ui.controls import PRIVATE, default_model, model_choices
from mnistgan.serve.ui.downloads import Downloads
from mnistgan.serve.ui.endpoints import add_public_endpoints
from mnistgan.serve.ui.generate import generate_tab
from mnistgan.serve.ui.interpolate import interpolate_tab
from mnistgan.serve.ui.mix import mix_tab, style_model
from mnistgan.serve.ui.model_info import model_info_tab
from mnistgan.serve.ui.vote import score_rows
from mnistgan.votes import VoteStore

# Read by Gradio whenever it would report usage (not at import): a server may be offline, and should not call home.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]
THEME = gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=["ui-monospace", "Menlo", "monospace"])
CSS = """
.digits img { image-rendering: pixelated; }
#intro { max-width: 60rem; }
"""
INTRO = """# mnistgan: handwritten digits drawn by GANs
Each model here is a generative adversarial network trained on MNIST's 60,000 handwritten digits.
It turns random noise (picked by the **seed**) into new digits that never existed.
*Conditional* models draw the digit you ask for; the others draw whichever digit they like.
Same model, same settings, same seed: the same picture, every time.
Scripts can use the same models through the [REST API](/docs), or call this page's `/generate`,
`/interpolate` and `/mix` with `gradio_client` (*Use via API*, at the bottom)."""
NO_MODELS = """**No models are installed yet.** Train one and register it, then reload this page:
```bash
mnistgan train --preset cdcgan --out runs/my-model
mnistgan models add runs/my-model --name my-model
```"""


def build_page(models: ModelService, votes: VoteStore, downloads: Downloads | None = None) -> gr.Blocks:
    downloads = downloads or Downloads()
    choices = model_choices(models)
    first = default_model(choices)
    second = default_model(choices, avoid=first)
    with gr.Blocks(title="mnistgan: digits drawn by GANs", analytics_enabled=False, delete_cache=(3600, 86400)) as page:
        # First: Gradio names every event, private ones too, after its function, first come first named.
        add_public_endpoints(models, downloads)
        gr.Markdown(INTRO, elem_id="intro")
        banner = gr.Markdown(NO_MODELS, visible=not choices, elem_id="no-models")
        with gr.Tabs():
            generate = generate_tab(models, downloads, choices, first)
            interpolate = interpolate_tab(models, downloads, choices, first)
            mix = mix_tab(models, downloads, choices, first)
            compare = compare_tab(models, votes, choices, first, second)
            info = model_info_tab(models, choices, first)

        def refresh():
            """Models added since the server started show up on reload, not only after a restart."""
            installed = model_choices(models)
            newest = default_model(installed)
            pick = gr.update(choices=installed, value=newest)
            other = gr.update(choices=installed, value=default_model(installed, avoid=newest))
            styled = gr.update(choices=installed, value=style_model(models, installed, newest))
            return pick, pick, styled, pick, other, pick, gr.update(visible=not installed), score_rows(votes)

        pickers = [generate, interpolate, mix, compare.left_model, compare.right_model, info.picker]
        page.load(refresh, None, [*pickers, banner, compare.votes.table], **PRIVATE).then(
            info.fill, info.picker, info.outputs, **PRIVATE)
    page.queue(default_concurrency_limit=2, max_size=64)
    return page


def mount_page(app: FastAPI, models: ModelService, votes: VoteStore) -> FastAPI:
    """`app` with the page at `/`; downloads are served from their own temp folder only."""
    downloads = Downloads()
    page = build_page(models, votes, downloads)
    return gr.mount_gradio_app(app, page, path="/", theme=THEME, css=CSS, ssr_mode=False, footer_links=["api"],
                               show_error=True, allowed_paths=[str(downloads.root)])

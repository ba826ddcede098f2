"""The HTML of the report: escaping, embedded images, tables, the page around the sections, its CSS.

Every image is embedded as a base64 data URI and the CSS is inline, so the page
opens offline in any browser and can be mailed around.
"""

from __future__ import annotations

import base64
import html
import io

from PIL import Image

from mnistgan.formatting import fmt


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def img(data: bytes, alt: str, mime: str = "image/png", cls: str = "") -> str:
    """An <img> of encoded image bytes, with its pixel size (so the page does not reflow while it loads)."""
    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<img class="{cls}" src="{uri}" alt="{esc(alt)}" width="{w}" height="{h}">'


def figure(data: bytes, alt: str, caption: str = "", mime: str = "image/png") -> str:
    """A figure of digits (pixelated when scaled) with an optional caption."""
    caption = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure>{img(data, alt, mime, "digits")}{caption}</figure>'


def table(rows, header: tuple[str, ...] | None = None) -> str:
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{esc(fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{esc(title)}</h2>{body}</section>'


def missing(reason) -> str:
    return f'<p class="missing">Not available: {esc(reason)}.</p>'


def page(name: str, summary: str, nav: list[tuple[str, str]], sections: list[str], footer: str,
         kind: str = "run") -> str:
    """The whole document; `summary` and `footer` are HTML, `nav` is (section key, title) pairs;
    `kind` names what it reports on (a run, a zoo of runs)."""
    links = " ".join(f'<a href="#{key}">{esc(title)}</a>' for key, title in nav)
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>mnistgan report: {esc(name)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>mnistgan {esc(kind)} <code>{esc(name)}</code></h1><p class=\"sub\">{summary}</p>"
            f"<nav>{links}</nav></header><main>{''.join(sections)}</main>"
            f"<footer>{footer}</footer></body></html>\n")


CSS = """
:root{--ink:#1d2430;--muted:#5b6472;--line:#dde1e7;--accent:#6a3fb5;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif}
header{background:#fff;border-bottom:1px solid var(--line);padding:24px max(24px,calc(50% - 560px)) 12px}
h1{margin:0 0 4px;font-size:24px}
h2{margin:0 0 14px;font-size:19px;border-bottom:2px solid var(--accent);display:inline-block;padding-bottom:2px}
h3{margin:0 0 8px;font-size:15px;color:var(--muted)}
.sub{margin:0 0 10px;color:var(--muted)}
nav a{color:var(--accent);text-decoration:none;margin-right:14px;font-size:14px;white-space:nowrap}
main{max-width:1120px;margin:0 auto;padding:8px 24px 24px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:18px 0;
overflow-x:auto}
img{max-width:100%;height:auto;display:block}
img.digits{image-rendering:pixelated}
figure{margin:0 0 14px}
figcaption,.note{color:var(--muted);font-size:13px;margin:6px 0 0}
.missing{color:var(--muted);font-style:italic;margin:0}
h3+table,h3+dl{margin-bottom:18px}
dl.options{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:0 24px;margin:0;font-size:13px}
dl.options>div{display:flex;justify-content:space-between;border-bottom:1px solid var(--line);padding:3px 0}
dt{color:var(--muted)}
dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 12px 4px 0;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}
td{font-variant-numeric:tabular-nums;word-break:break-word}
code{font:13px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;background:var(--bg);padding:1px 4px;border-radius:3px}
footer{max-width:1120px;margin:0 auto;padding:0 24px 32px;color:var(--muted);font-size:13px}
"""

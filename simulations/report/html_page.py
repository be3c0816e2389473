"""Turn a Markdown report into one standalone HTML page: images embedded, diagrams drawn, no script.

Markdown is parsed by markdown-it-py (CommonMark plus GitHub's pipe tables: the page reads as
GitHub shows the Markdown; raw HTML such as ``<details>`` passes through). Two renderer rules
are ours:

- an image with a local path (PNG, SVG, JPEG, GIF; relative to the Markdown file) is inlined
  as a ``data:`` URI, so the page is one file that works offline;
- a ``mermaid`` code block that is a ``sequenceDiagram`` is drawn as inline SVG
  (``simulations.report.sequence_svg``), with its source folded in a ``<details>`` below.
  Other Mermaid blocks stay code: the report draws its state charts as PNGs itself and folds
  their Mermaid source.

The output is a pure function of the Markdown and the files it links (no date, no random id).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from simulations.io.files import atomic_write

MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg", ".gif": "image/gif"}
CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid
#ccc;padding:.25em .5em;text-align:left}th{background:#f3f3f3}code{background:#f3f3f3;
padding:0 .2em}pre{background:#f6f6f6;padding:.8em;overflow:auto}img{max-width:100%}
figure.diagram{margin:1em 0;overflow-x:auto}figure.diagram svg{max-width:100%;height:auto}
details{margin:.5em 0 1em}summary{cursor:pointer;color:#555}td code{white-space:nowrap}"""


def write_html(markdown_path: str | Path, html_path: str | Path) -> Path:
    """Write ``html_path``: the Markdown file as a standalone page (atomic: temp file + rename)."""
    md_path, out = Path(markdown_path), Path(html_path)
    text = md_path.read_text(encoding="utf-8")
    title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")),
                 md_path.stem)
    body = markdown_to_html(text, md_path.parent)
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n{body}"
            "</body></html>\n")
    atomic_write(out, page)
    return out


def markdown_to_html(text: str, base_dir: Path) -> str:
    """The HTML body of ``text``; local images are read from ``base_dir`` and inlined."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    diagrams = [0]  # a counter for page-unique SVG ids, in document order (deterministic)

    def image(_renderer, tokens, idx, options, env):
        inlined = _data_uri(tokens[idx].attrGet("src") or "", Path(base_dir))
        if inlined:
            tokens[idx].attrSet("src", inlined)
        return default_image(tokens, idx, options, env)

    def fence(_renderer, tokens, idx, options, env):
        token = tokens[idx]
        if token.info.strip().split(maxsplit=1)[:1] == ["mermaid"]:
            drawn = _mermaid_figure(token.content, diagrams)
            if drawn:
                return drawn
        return default_fence(tokens, idx, options, env)

    default_image, default_fence = md.renderer.rules["image"], md.renderer.rules["fence"]
    md.add_render_rule("image", image)
    md.add_render_rule("fence", fence)
    return md.render(text)


def _mermaid_figure(source: str, counter: list[int]) -> str | None:
    """A drawn sequence diagram with its folded source, or None when it is not one we draw."""
    from simulations.report.sequence_svg import render_sequence_svg

    try:
        svg = render_sequence_svg(source, id_prefix=f"seq{counter[0] + 1}")
    except ValueError:
        return None
    counter[0] += 1
    return (f'<figure class="diagram">\n{svg}\n</figure>\n<details><summary>Mermaid source'
            f'</summary><pre><code class="language-mermaid">{html.escape(source)}</code></pre>'
            "</details>\n")


def _data_uri(src: str, base_dir: Path) -> str | None:
    """The image file ``src`` (relative to ``base_dir``) as a ``data:`` URI; None when it is not
    a local image file (a URL, a missing file, an unknown type)."""
    if not src or ":" in src.split("/", 1)[0]:
        return None
    from urllib.parse import unquote

    path = base_dir / unquote(src)
    mime = MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"

"""Turn a Markdown report into one standalone HTML page, images embedded as base64.

Handles the subset the reports use: ATX headings, paragraphs, ``-``/``*`` bullet lists,
pipe tables, images ``![alt](path)`` (PNG, SVG, JPEG, GIF; paths relative to the Markdown
file), fenced code blocks, inline code, ``**bold**``, ``*emphasis*`` and links.
"""

from __future__ import annotations

import base64
import html
import os
import re
from pathlib import Path

MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg", ".gif": "image/gif"}
CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid
#ccc;padding:.25em .5em;text-align:left}th{background:#f3f3f3}code{background:#f3f3f3;
padding:0 .2em}pre{background:#f6f6f6;padding:.8em;overflow:auto}img{max-width:100%}"""
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def write_html(markdown_path: str | Path, html_path: str | Path) -> Path:
    """Write ``html_path``: the Markdown file as a standalone page (atomic: temp file + rename)."""
    md_path, out = Path(markdown_path), Path(html_path)
    text = md_path.read_text()
    title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")),
                 md_path.stem)
    body = markdown_to_html(text, md_path.parent)
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n{body}"
            "</body></html>\n")
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page)
    os.replace(tmp, out)
    return out


def markdown_to_html(text: str, base_dir: Path) -> str:
    """The HTML body of ``text``; images are read from ``base_dir`` and inlined."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            j = _until(lines, i + 1, lambda s: s.startswith("```"))
            out.append("<pre><code>" + html.escape("\n".join(lines[i + 1:j])) + "</code></pre>")
            i = j + 1
        elif re.match(r"#{1,6} ", line):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{_inline(line[level:].strip(), base_dir)}</h{level}>")
            i += 1
        elif line.startswith("|"):
            j = _until(lines, i, lambda s: not s.startswith("|"))
            out.append(_table(lines[i:j], base_dir))
            i = j
        elif re.match(r"\s*[-*] ", line):
            j = _until(lines, i, lambda s: not re.match(r"\s*[-*] |\s{2,}\S", s))
            items = _list_items(lines[i:j])
            out.append("<ul>" + "".join(f"<li>{_inline(t, base_dir)}</li>" for t in items) + "</ul>")
            i = j
        elif not line.strip():
            i += 1
        else:
            j = _until(lines, i, lambda s: not s.strip() or s.startswith(("#", "|", "```"))
                       or bool(re.match(r"[-*] ", s)))
            out.append(f"<p>{_inline(' '.join(lines[i:j]), base_dir)}</p>")
            i = j
    return "\n".join(out) + "\n"


def _until(lines: list[str], start: int, stop) -> int:
    j = start
    while j < len(lines) and not stop(lines[j]):
        j += 1
    return j


def _list_items(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        if re.match(r"\s*[-*] ", line):
            items.append(line.strip()[2:])
        else:
            items[-1] += " " + line.strip()
    return items


def _table(lines: list[str], base_dir: Path) -> str:
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= set("-: ") for c in r)]
    th = "".join(f"<th>{_inline(c, base_dir)}</th>" for c in head)
    trs = "".join("<tr>" + "".join(f"<td>{_inline(c, base_dir)}</td>" for c in r) + "</tr>"
                  for r in body)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _inline(text: str, base_dir: Path) -> str:
    """Escape, then inline code, images, links, bold and emphasis (code spans left alone)."""
    pieces = re.split(r"(`[^`]+`)", text)
    out = []
    for piece in pieces:
        if piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            out.append(f"<code>{html.escape(piece[1:-1])}</code>")
            continue
        s = _IMAGE.sub(lambda m: _image(m.group(1), m.group(2), base_dir), html.escape(piece, False))
        s = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', s)
        s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", s)
        out.append(s)
    return "".join(out)


def _image(alt: str, src: str, base_dir: Path) -> str:
    path = base_dir / html.unescape(src)
    mime = MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return f'<img alt="{alt}" src="{src}">'
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{alt}" src="data:{mime};base64,{data}">'

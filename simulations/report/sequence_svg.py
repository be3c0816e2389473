"""Draw a Mermaid ``sequenceDiagram`` as standalone SVG text, so the HTML page needs no JavaScript.

The subset is the one ``simulations.explore.counterexample.to_mermaid`` writes: an optional YAML
front matter with ``title``; ``participant ID as Label`` (or ``participant ID``); messages
``A->>B: text`` with the arrows ``->>``, ``-->>``, ``-x``, ``--x``, ``->`` and ``-->``
(``A`` may equal ``B``); ``Note over ID: text``; ``%%`` comments and blank lines. Mermaid's
entity codes (``#59;``) are decoded. Anything else raises ``ValueError``, so a caller never
shows a silently wrong drawing.

Layout, in pixels: lanes left to right in declaration order, far enough apart that every
message's label (wrapped at ``WRAP`` characters) fits between its two lanes; one row per
message or note, top to bottom; the participant boxes repeated at the bottom, as Mermaid does.
Text widths are estimated from character counts (there is no font at build time), generously,
so labels never overrun their lanes. The output is a pure function of the source text.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass

WRAP = 40  # characters per label line
FONT, CHAR_W, LINE_H = 13, 7.2, 16  # label font size, estimated advance per character, line step
BOX_H, MARGIN, MIN_GAP, LOOP_W = 34, 16, 120, 34

_ARROW = re.compile(r"^([A-Za-z_][\w]*)\s*(-->>|->>|--x|-x|-->|->)\s*([A-Za-z_][\w]*)\s*:\s*(.*)$")
_PARTICIPANT = re.compile(r"^(?:participant|actor)\s+([A-Za-z_][\w]*)(?:\s+as\s+(.+))?$")
_NOTE = re.compile(r"^Note\s+over\s+([A-Za-z_][\w]*)\s*:\s*(.*)$", re.IGNORECASE)
_ENTITY = re.compile(r"#(\d+);")


@dataclass(frozen=True)
class Message:
    src: str
    dst: str
    arrow: str
    text: str


@dataclass(frozen=True)
class Note:
    over: str
    text: str


@dataclass(frozen=True)
class Sequence:
    title: str
    lanes: dict[str, str]  # id -> label, in declaration order
    rows: tuple[Message | Note, ...]


def parse_sequence(source: str) -> Sequence:
    """The diagram in ``source``; ``ValueError`` naming the line for anything outside the subset."""
    lines = source.strip("\n").splitlines()
    title, start = "", 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            raise ValueError("front matter not closed")
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            if key.strip() == "title":
                title = _unquote(value.strip())
        start = end + 1
    body = [(n, ln.strip()) for n, ln in enumerate(lines[start:], start + 1)
            if ln.strip() and not ln.strip().startswith("%%")]
    if not body or body[0][1] != "sequenceDiagram":
        raise ValueError("not a sequenceDiagram")
    lanes: dict[str, str] = {}
    rows: list[Message | Note] = []
    for n, line in body[1:]:
        if m := _PARTICIPANT.match(line):
            lanes.setdefault(m.group(1), _text(m.group(2) or m.group(1)))
        elif m := _ARROW.match(line):
            src, arrow, dst, text = m.groups()
            for lane in (src, dst):
                lanes.setdefault(lane, lane)
            rows.append(Message(src, dst, arrow, _text(text)))
        elif m := _NOTE.match(line):
            lanes.setdefault(m.group(1), m.group(1))
            rows.append(Note(m.group(1), _text(m.group(2))))
        else:
            raise ValueError(f"line {n}: not in the drawn subset: {line!r}")
    if not lanes:
        raise ValueError("no participant")
    return Sequence(title, lanes, tuple(rows))


def render_sequence_svg(source: str, id_prefix: str = "seq") -> str:
    """The SVG element (text) for the diagram in ``source``; ``id_prefix`` keeps ids unique on a page."""
    seq = parse_sequence(source)
    ids = list(seq.lanes)
    box_w = {i: _width(seq.lanes[i], 14) + 28 for i in ids}
    x = _lane_positions(seq, ids, box_w)
    left = min(x[i] - box_w[i] / 2 for i in ids)
    right = max(x[i] + box_w[i] / 2 for i in ids)
    for row in seq.rows:
        if isinstance(row, Message) and row.src == row.dst:
            right = max(right, x[row.src] + LOOP_W + 8 + _label_width(row.text))
        elif isinstance(row, Note):
            left = min(left, x[row.over] - _note_width(row.text) / 2)
            right = max(right, x[row.over] + _note_width(row.text) / 2)
    if seq.title:
        right = max(right, left + _width(seq.title, 15) * 1.1)
    top = MARGIN + (30 if seq.title else 0)
    y = top + BOX_H + 14
    body: list[str] = []
    for row in seq.rows:
        y = (_message(body, row, x, y, id_prefix) if isinstance(row, Message)
             else _note(body, row, x, y))
    bottom = y + 6
    width, height = right - left + 2 * MARGIN, bottom + BOX_H + MARGIN
    label = seq.title or "sequence diagram"
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" role="img" '
           f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
           f'aria-label="{_attr(label)}" font-family="DejaVu Sans, Verdana, Arial, sans-serif">'),
           f"<title>{_esc(label)}</title>",
           (f'<defs><marker id="{id_prefix}-head" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>'),
           f'<g transform="translate({_n(MARGIN - left)},0)">']
    if seq.title:
        out.append(f'<text x="{_n((left + right) / 2)}" y="{MARGIN + 14}" text-anchor="middle" '
                   f'font-size="15" font-weight="bold" fill="#222">{_esc(seq.title)}</text>')
    for i in ids:
        out.append(f'<line x1="{_n(x[i])}" y1="{top + BOX_H}" x2="{_n(x[i])}" y2="{_n(bottom)}" '
                   'stroke="#999" stroke-dasharray="3,3"/>')
        for box_y in (top, bottom):
            out.append(_box(x[i], box_y, box_w[i], seq.lanes[i]))
    out += body
    out.append("</g></svg>")
    return "\n".join(out)


def _lane_positions(seq: Sequence, ids: list[str], box_w: dict[str, float]) -> dict[str, float]:
    """Each lane's centre: as close to the previous as its box, its labels and its loops allow."""
    need: dict[tuple[int, int], float] = {}
    for row in seq.rows:
        if not isinstance(row, Message):
            continue
        a, b = sorted((ids.index(row.src), ids.index(row.dst)))
        key, gap = (((a, a + 1), LOOP_W + 8 + _label_width(row.text)) if a == b
                    else ((a, b), _label_width(row.text) + 28))
        need[key] = max(need.get(key, 0.0), gap)
    x = {ids[0]: box_w[ids[0]] / 2}
    for k in range(1, len(ids)):
        prev = x[ids[k - 1]]
        want = max(prev + (box_w[ids[k - 1]] + box_w[ids[k]]) / 2 + 24, prev + MIN_GAP)
        for (a, b), gap in need.items():
            if b == k:
                want = max(want, x[ids[a]] + gap)
        x[ids[k]] = want
    return x


def _message(out: list[str], m: Message, x: dict[str, float], y: float, prefix: str) -> float:
    lines = textwrap.wrap(m.text, WRAP) or [""]
    dashed = ' stroke-dasharray="6,4"' if m.arrow.startswith("--") else ""
    head = f' marker-end="url(#{prefix}-head)"' if m.arrow.endswith(">>") else ""
    if m.src == m.dst:
        x0 = x[m.src]
        for k, line in enumerate(lines):
            out.append(_label(x0 + LOOP_W + 8, y + k * LINE_H + FONT, line, "start"))
        y_arrow = y + 4
        y_back = y_arrow + max(len(lines) * LINE_H, 22)
        out.append(f'<path d="M{_n(x0)},{_n(y_arrow)} H{_n(x0 + LOOP_W)} V{_n(y_back)} '
                   f'H{_n(x0 + 1)}" fill="none" stroke="#333" stroke-width="1.4"{dashed}{head}/>')
        end_x, end_y = x0, y_back
        after = y_back + 18
    else:
        x1, x2 = x[m.src], x[m.dst]
        mid = (x1 + x2) / 2
        for k, line in enumerate(lines):
            out.append(_label(mid, y + k * LINE_H + FONT, line, "middle"))
        y_arrow = y + len(lines) * LINE_H + 6
        tip = x2 - (1 if x2 > x1 else -1)
        out.append(f'<line x1="{_n(x1)}" y1="{_n(y_arrow)}" x2="{_n(tip)}" y2="{_n(y_arrow)}" '
                   f'stroke="#333" stroke-width="1.4"{dashed}{head}/>')
        end_x, end_y = x2, y_arrow
        after = y_arrow + 16
    if m.arrow.endswith("x"):  # a cross at the receiving end: the message is lost there
        d = 5
        out.append(f'<path d="M{_n(end_x - d)},{_n(end_y - d)} L{_n(end_x + d)},{_n(end_y + d)} '
                   f'M{_n(end_x - d)},{_n(end_y + d)} L{_n(end_x + d)},{_n(end_y - d)}" '
                   'stroke="#333" stroke-width="1.6"/>')
    return after


def _note(out: list[str], note: Note, x: dict[str, float], y: float) -> float:
    lines = textwrap.wrap(note.text, WRAP) or [""]
    w, h = _note_width(note.text), len(lines) * LINE_H + 10
    out.append(f'<rect x="{_n(x[note.over] - w / 2)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
               'fill="#fde2e2" stroke="#d62728"/>')
    for k, line in enumerate(lines):
        out.append(_label(x[note.over], y + 5 + k * LINE_H + FONT, line, "middle", "#8b0000"))
    return y + h + 12


def _box(cx: float, y: float, w: float, label: str) -> str:
    return (f'<rect x="{_n(cx - w / 2)}" y="{_n(y)}" width="{_n(w)}" height="{BOX_H}" rx="3" '
            'fill="#e8f0fb" stroke="#3b5b92"/>'
            f'<text x="{_n(cx)}" y="{_n(y + BOX_H / 2 + 5)}" text-anchor="middle" font-size="14" '
            f'fill="#222">{_esc(label)}</text>')


def _label(x: float, y: float, text: str, anchor: str, colour: str = "#222") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{FONT}" '
            f'fill="{colour}">{_esc(text)}</text>')


def _label_width(text: str) -> float:
    return max((_width(line, FONT) for line in textwrap.wrap(text, WRAP)), default=0.0)


def _note_width(text: str) -> float:
    return _label_width(text) + 20


def _width(text: str, size: float) -> float:
    return len(text) * CHAR_W * size / FONT


def _text(raw: str) -> str:
    return _ENTITY.sub(lambda m: chr(int(m.group(1))), raw.strip())


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].replace('\\"', '"')
    return value


def _n(v: float) -> str:
    """A coordinate with at most one decimal (stable text, small files)."""
    return f"{round(v, 1):g}"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)

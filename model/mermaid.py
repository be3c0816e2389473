"""Parse the ``stateDiagram-v2`` subset the seed uses into a networkx ``MultiDiGraph``.

Accepted, one statement a line: the ``stateDiagram-v2`` header; ``[*] --> X`` (the initial
state, once); ``A --> B : label``; ``state "Label" as id``; ``direction LR|RL|TB|BT``
(ignored, emitted by python-statemachine's own renderer); blank lines; ``%%`` comment
lines; and a leading YAML front-matter block (``---`` ... ``---``, e.g. ``title: ...``),
whose ``title`` is kept. Anything else (final states, composite states, notes, unlabelled
transitions) is refused with an ``InputError`` naming the source, the line and the problem.

The graph form, shared with ``model.flowgraph``: node attribute ``label`` (display name,
the id unless ``state "..." as id`` gives one); graph attributes ``initial`` (a state id)
and ``title``; one edge per transition, keyed by its label, with attributes ``label`` and
``order`` (its rank in the source: networkx iterates edges grouped by node, not in order).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx

from model.errors import InputError

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_INITIAL = re.compile(rf"^\[\*\]\s*-->\s*({_ID})$")
_EDGE = re.compile(rf"^({_ID})\s*-->\s*({_ID})\s*(?::\s*(.*))?$")
_STATE = re.compile(rf'^state\s+"([^"]*)"\s+as\s+({_ID})$')
_DIRECTION = re.compile(r"^direction\s+(LR|RL|TB|BT)$")
_HEADER = "stateDiagram-v2"
_BLOCK = re.compile(r"^```mermaid[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def load_mermaid(path: str | Path) -> nx.MultiDiGraph:
    """Read and parse a ``.mmd`` file; an unreadable file is an ``InputError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror}") from None
    return parse_mermaid(text, source=str(path))


def mermaid_blocks(markdown: str) -> list[str]:
    """The bodies of the ```` ```mermaid ```` fenced blocks of a Markdown text, in order."""
    return [m.group(1) for m in _BLOCK.finditer(markdown)]


def parse_mermaid(text: str, source: str = "<mermaid>") -> nx.MultiDiGraph:
    """Parse ``text`` (named ``source`` in errors) into the graph form described above."""
    graph = nx.MultiDiGraph(initial=None, title=None)
    lines = text.splitlines()
    start = _front_matter(lines, graph, source)
    header_seen = False
    for number, raw in enumerate(lines[start:], start=start + 1):
        line = raw.strip()
        if not line or line.startswith("%%"):
            continue
        if not header_seen:
            if line != _HEADER:
                _fail(source, number, f"expected {_HEADER!r} first, got {line!r}")
            header_seen = True
            continue
        _statement(graph, line, source, number)
    if not header_seen:
        raise InputError(source, None, f"no {_HEADER!r} header")
    if graph.graph["initial"] is None:
        raise InputError(source, None, "no initial state ('[*] --> State')")
    return graph


def _front_matter(lines: list[str], graph: nx.MultiDiGraph, source: str) -> int:
    """Read a leading ``---`` block (keeping ``title``); return the index of the next line."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        line = lines[index].strip()
        if line == "---":
            return index + 1
        key, sep, value = line.partition(":")
        if sep and key.strip() == "title":
            graph.graph["title"] = _unquote(value.strip())
    _fail(source, 1, "front matter '---' is never closed")


def _unquote(value: str) -> str:
    """A YAML scalar as written by ``model.diagram``: plain, or double-quoted JSON-style."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value[1:-1]
    return value


def _statement(graph: nx.MultiDiGraph, line: str, source: str, number: int) -> None:
    """Apply one statement line to ``graph``."""
    if match := _INITIAL.match(line):
        if graph.graph["initial"] is not None:
            _fail(source, number, f"second initial state {match.group(1)!r}")
        graph.graph["initial"] = match.group(1)
        _add_state(graph, match.group(1))
    elif match := _EDGE.match(line):
        _add_edge(graph, *match.groups(), source=source, number=number)
    elif match := _STATE.match(line):
        label, state = match.groups()
        _add_state(graph, state)
        graph.nodes[state]["label"] = label
    elif _DIRECTION.match(line):
        pass
    elif "[*]" in line:
        _fail(source, number, f"final or nested initial states are not supported: {line!r}")
    else:
        _fail(source, number, f"cannot parse {line!r}: expected 'A --> B : label', "
                              "'[*] --> A' or 'state \"Label\" as A'")


def _add_edge(graph, src, dst, label, *, source: str, number: int) -> None:
    label = (label or "").strip()
    if not label:
        _fail(source, number, f"transition {src} --> {dst} has no label")
    if graph.has_edge(src, dst, key=label):
        _fail(source, number, f"duplicate transition {src} --[{label}]--> {dst}")
    _add_state(graph, src)
    _add_state(graph, dst)
    graph.add_edge(src, dst, key=label, label=label, order=graph.number_of_edges())


def _add_state(graph: nx.MultiDiGraph, state: str) -> None:
    if state not in graph:
        graph.add_node(state, label=state)


def _fail(source: str, number: int, problem: str):
    raise InputError(source, f"line {number}", problem)

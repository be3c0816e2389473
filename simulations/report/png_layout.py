"""Geometry of the lifecycle PNG, in inches and free of matplotlib: layout, edge routing, label spots.

Layout is top to bottom: states are layered by their distance from the initial state over
the seed's own transitions (so the completed chart keeps the seed's picture and its gap
edges are drawn on top of it), and ordered in a layer by the mean position of their parents.
Every edge is a Bézier control polygon clipped to the state boxes: forward edges are straight
when nothing is in the way, bowed otherwise or when another edge already takes that line;
back edges run in lanes outside the states. A label goes beside its curve, at the first spot
that overlaps no state and no other label and crosses as few edges as possible.
"""

from __future__ import annotations

import math
from itertools import pairwise

import networkx as nx

from model.diagram import DiagramGraph, Edge

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # centre x, centre y, half width, half height


def layout(diagram: DiagramGraph, layer_gap: float, column_gap: float) -> dict[str, Point]:
    """State centres in inches: layers downwards, parents' mean position across."""
    seed = nx.DiGraph([(e.src, e.dst) for e in diagram.edges if not e.gap])
    every = nx.DiGraph([(e.src, e.dst) for e in diagram.edges])
    seed.add_nodes_from(diagram.states)
    every.add_nodes_from(diagram.states)
    depth = nx.single_source_shortest_path_length(seed, diagram.initial)
    for state, d in nx.single_source_shortest_path_length(every, diagram.initial).items():
        depth.setdefault(state, d)
    last = max(depth.values()) + 1
    layers: dict[int, list[str]] = {}
    for state in diagram.states:
        layers.setdefault(depth.get(state, last), []).append(state)
    pos: dict[str, Point] = {}
    for level in sorted(layers):
        _place_layer(layers[level], -level * layer_gap, pos, seed, diagram.states, column_gap)
    return pos


def _place_layer(states, y, pos, graph, order, column_gap) -> None:
    """Put one layer's states at their parents' mean x, pushed apart to the column gap."""
    def centre(s):
        xs = [pos[p][0] for p in graph.predecessors(s) if p in pos]
        return sum(xs) / len(xs) if xs else 0.0
    wanted = sorted(states, key=lambda s: (centre(s), order.index(s)))
    xs = [centre(s) for s in wanted]
    for i in range(1, len(xs)):
        xs[i] = max(xs[i], xs[i - 1] + column_gap)
    shift = sum(centre(s) for s in wanted) / len(wanted) - sum(xs) / len(xs)
    for state, x in zip(wanted, xs):
        pos[state] = (x + shift, y)


def route(diagram: DiagramGraph, boxes: dict[str, Box]) -> list[list[Point]]:
    """One clipped Bézier control polygon per edge, avoiding states and earlier edges."""
    placed: list[list[Point]] = []
    grid: dict[tuple[int, int], list[Point]] = {}  # earlier edges' points, by quarter-inch cell
    centre_x = sum(b[0] for b in boxes.values()) / len(boxes)
    for edge in diagram.edges:
        options = [_clip(c, boxes[edge.src], boxes[edge.dst])
                   for c in _candidates(edge, boxes, centre_x)]
        best = min(range(len(options)), key=lambda i: (
            _hits_states(options[i], edge, boxes), _crowding(options[i], grid), i))
        placed.append(options[best])
        for p in samples(options[best]):
            grid.setdefault(_cell(p), []).append(p)
    return placed


def _candidates(edge: Edge, boxes: dict[str, Box], centre_x: float) -> list[list[Point]]:
    (x0, y0, w0, h0), (x1, y1, _, _) = boxes[edge.src], boxes[edge.dst]
    if edge.src == edge.dst:  # a loop, on the state's outer side unless that is crowded
        outer = -1 if x0 < centre_x else 1
        return [[(x0 + s * w0, y0 + h0 / 2), (x0 + s * (w0 + 0.8), y0 + 0.6),
                 (x0 + s * (w0 + 0.8), y0 - 0.6), (x0 + s * w0, y0 - h0 / 2)]
                for s in (outer, -outer)]
    forward = [[(x0, y0), _bow((x0, y0), (x1, y1), rad), (x1, y1)]
               for rad in (0, .15, -.15, .3, -.3, .45, -.45, .6, -.6)]
    side = -1 if x0 + x1 < 2 * centre_x else 1
    lanes = [_lane(edge, boxes, s, k) for s in (side, -side) for k in range(4)]
    return forward + lanes if y1 < y0 - 1e-9 else lanes + forward


def _bow(a: Point, b: Point, rad: float) -> Point:
    """The control point of matplotlib's ``arc3,rad=...`` between a and b."""
    return ((a[0] + b[0]) / 2 + rad * (b[1] - a[1]), (a[1] + b[1]) / 2 - rad * (b[0] - a[0]))


def _lane(edge: Edge, boxes: dict[str, Box], side: int, k: int) -> list[Point]:
    """A cubic running outside every state between the two rows, on ``side`` (-1 left)."""
    (x0, y0, w0, h0), (x1, y1, w1, h1) = boxes[edge.src], boxes[edge.dst]
    low, high = min(y0, y1) - 0.01, max(y0, y1) + 0.01
    rows = [b for b in boxes.values() if low <= b[1] <= high]
    edge_x = max(side * (b[0] + side * b[2]) for b in rows) * side
    shift = min(0.12 * k, 0.7 * min(h0, h1))  # outer lanes attach apart: arrowheads stay apart
    start, end = (x0 + side * w0, y0 - shift), (x1 + side * w1, y1 + shift)
    extreme = edge_x + side * (0.45 + 0.5 * k)
    outer = (extreme - 0.125 * (start[0] + end[0])) / 0.75
    return [start, (outer, y0), (outer, y1), end]


def _clip(ctrl: list[Point], src: Box, dst: Box) -> list[Point]:
    """The part of the curve outside both boxes (with a hair of air before the arrow tip)."""
    t0 = next((t / 200 for t in range(200) if not _inside(at(ctrl, t / 200), src, 0.01)), 0.0)
    t1 = next((t / 200 for t in range(200, 0, -1)
               if not _inside(at(ctrl, t / 200), dst, 0.03)), 1.0)
    if t1 <= t0:
        return ctrl
    head = _split(ctrl, t1)[0]
    return _split(head, t0 / t1)[1]


_BINOMIAL = {1: (1, 1), 2: (1, 2, 1), 3: (1, 3, 3, 1)}


def at(ctrl: list[Point], t: float) -> Point:
    """The point of the Bézier curve (degree 1 to 3) at parameter ``t``."""
    n, s = len(ctrl) - 1, 1 - t
    weights = [c * s ** (n - i) * t ** i for i, c in enumerate(_BINOMIAL[n])]
    return (sum(w * p[0] for w, p in zip(weights, ctrl, strict=True)),
            sum(w * p[1] for w, p in zip(weights, ctrl, strict=True)))


def _split(ctrl: list[Point], t: float) -> tuple[list[Point], list[Point]]:
    """de Casteljau: the control polygons of the curve before and after ``t``."""
    left, right, pts = [ctrl[0]], [ctrl[-1]], list(ctrl)
    while len(pts) > 1:
        pts = [(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])) for a, b in pairwise(pts)]
        left.append(pts[0])
        right.append(pts[-1])
    return left, right[::-1]


def _inside(p: Point, box: Box, margin: float = 0.0) -> bool:
    return abs(p[0] - box[0]) <= box[2] + margin and abs(p[1] - box[1]) <= box[3] + margin


def samples(ctrl: list[Point], lo: float = 0.0, hi: float = 1.0, n: int = 40) -> list[Point]:
    return [at(ctrl, lo + (hi - lo) * i / n) for i in range(n + 1)]


def _hits_states(ctrl, edge: Edge, boxes: dict[str, Box]) -> int:
    others = [b for s, b in boxes.items() if s not in (edge.src, edge.dst)]
    return sum(_inside(p, b, 0.12) for p in samples(ctrl) for b in others)


def _crowding(ctrl, grid: dict[tuple[int, int], list[Point]]) -> int:
    """How many of the curve's middle points run within a quarter inch of an earlier edge."""
    def near(p: Point) -> bool:
        cx, cy = _cell(p)
        return any(math.dist(p, q) < _CELL for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                   for q in grid.get((cx + dx, cy + dy), ()))
    return sum(near(p) for p in samples(ctrl, 0.15, 0.85))


_CELL = 0.25


def _cell(p: Point) -> tuple[int, int]:
    return math.floor(p[0] / _CELL), math.floor(p[1] / _CELL)


def place_labels(boxes: dict[str, Box], curves: list[list[Point]],
                 sizes: list[Point]) -> list[Box]:
    """A box per edge label of the given (width, height), beside its curve."""
    taken: list[Box] = []
    centre_x = sum(b[0] for b in boxes.values()) / len(boxes)
    solid = [_grow(b, 0.05) for b in boxes.values()]
    segments = [(_bounds(c), _segments(c)) for c in curves]
    for index, (ctrl, (w, h)) in enumerate(zip(curves, sizes, strict=True)):
        others = [s for i, s in enumerate(segments) if i != index]
        options = [(side, _label_box(ctrl, t / 20, side, w, h, centre_x))
                   for side in (1, -1, 0) for t in (10, 8, 12, 6, 14, 4, 15, 3)]
        top = max(samples(ctrl), key=lambda p: p[1])
        bottom = min(samples(ctrl), key=lambda p: p[1])
        options[16:16] = [(2, (top[0], top[1] + h / 2 + 0.04, w / 2, h / 2)),
                          (2, (bottom[0], bottom[1] - h / 2 - 0.04, w / 2, h / 2))]
        # Overlapping a state or a label is worst, then crossing or grazing other edges;
        # sitting on its own line hides a piece of it, so it is the fallback.
        _, best = min(options, key=lambda o: (
            10 * sum(_overlap(o[1], b) for b in solid + taken)
            + 3 * sum(_hit(o[1], c) for c in others)
            + sum(_hit(_grow(o[1], 0.12), c) for c in others)
            + (3.5 if o[0] == 0 else 0), options.index(o)))
        taken.append(best)
    return taken


def _label_box(ctrl, t: float, side: int, w: float, h: float, centre_x: float) -> Box:
    """A w x h box touching the curve at ``t``, on its ``side`` (1: outer side, 0: on it)."""
    (ax_, ay), (bx, by) = at(ctrl, max(t - 0.01, 0)), at(ctrl, min(t + 0.01, 1))
    length = math.hypot(bx - ax_, by - ay) or 1.0
    nx_, ny = (by - ay) / length, -(bx - ax_) / length  # right-hand normal
    chord = (ctrl[-1][0] - ctrl[0][0], ctrl[-1][1] - ctrl[0][1])
    mid = at(ctrl, 0.5)
    bow = (mid[0] - (ctrl[0][0] + chord[0] / 2)) * nx_ + (mid[1] - (ctrl[0][1] + chord[1] / 2)) * ny
    if abs(bow) < 0.05:  # a straight edge: its outer side is away from the centre line
        away = mid[0] - centre_x
        bow = (away if abs(away) > 0.1 else 1.0) * nx_ if abs(nx_) > 0.3 else ny
    sign = side * (1 if bow >= 0 else -1)
    reach = 0.04 + w / 2 * abs(nx_) + h / 2 * abs(ny)
    px, py = at(ctrl, t)
    return (px + sign * nx_ * reach, py + sign * ny * reach, w / 2, h / 2)


def _segments(ctrl: list[Point]) -> list[tuple[Point, Point]]:
    points = samples(ctrl)
    return list(pairwise(points))


def _bounds(ctrl: list[Point]) -> Box:
    """A box holding the whole curve (its control polygon's bounds)."""
    xs, ys = [p[0] for p in ctrl], [p[1] for p in ctrl]
    return ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2,
            (max(xs) - min(xs)) / 2, (max(ys) - min(ys)) / 2)


def _hit(box: Box, curve: tuple[Box, list[tuple[Point, Point]]]) -> bool:
    """Whether a curve, given as (bounds, segments), meets ``box``."""
    bounds, segments = curve
    return _overlap(box, _grow(bounds, 1e-6)) and any(_crosses(g, box) for g in segments)


def _crosses(segment: tuple[Point, Point], box: Box) -> bool:
    """Whether a line segment meets an axis-aligned box (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = segment
    lo, hi = 0.0, 1.0
    for p, q in ((x0 - x1, x0 - (box[0] - box[2])), (x1 - x0, box[0] + box[2] - x0),
                 (y0 - y1, y0 - (box[1] - box[3])), (y1 - y0, box[1] + box[3] - y0)):
        if p == 0:
            if q < 0:
                return False
        elif p < 0:
            lo = max(lo, q / p)
        else:
            hi = min(hi, q / p)
    return lo <= hi


def _grow(box: Box, margin: float) -> Box:
    return box[0], box[1], box[2] + margin, box[3] + margin


def _overlap(a: Box, b: Box) -> bool:
    return abs(a[0] - b[0]) < a[2] + b[2] and abs(a[1] - b[1]) < a[3] + b[3]

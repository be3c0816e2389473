"""Draw a lifecycle ``DiagramGraph`` as a PNG with matplotlib (Agg canvas, no pyplot state).

The geometry (layout, edge routing, label spots) comes from ``simulations.report.png_layout``; this
module measures texts, sizes the figure and draws: state boxes, a start dot, every edge with
a solid arrowhead and its label, a title, and, when there are gap edges (red, dashed), a
legend. The axes map 1 unit to 1 inch, so measured text sizes can be used directly.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass

from model.diagram import GAP_LEGEND, DiagramGraph
from simulations.report.png_layout import Box, Point, at, layout, place_labels, route, samples

_LEGEND_SEED = "seed's transition"


@dataclass(frozen=True, slots=True)
class PngConfig:
    """Presentation of the PNG renderer (sizes in inches and points)."""

    dpi: int = 120
    layer_gap: float = 1.6
    column_gap: float = 3.1
    state_font: float = 11.0
    label_font: float = 9.0
    label_width: int = 18
    state_fill: str = "#e8f0fb"
    state_line: str = "#3b5b92"
    edge_color: str = "#333333"
    gap_color: str = "#d62728"


def render_png(diagram: DiagramGraph, config: PngConfig = PngConfig()) -> bytes:
    """The diagram as PNG bytes: title, states, every edge with its label, a gap legend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(dpi=config.dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    measure = _measurer(fig)
    boxes = _state_boxes(diagram, config, measure)
    curves = route(diagram, boxes)
    labels = _labels(diagram, config, boxes, curves, measure)
    start = _start_point(boxes[diagram.initial])
    has_gaps = any(e.gap for e in diagram.edges)
    legend = [_LEGEND_SEED, GAP_LEGEND] if has_gaps else []
    least = max([measure(diagram.title, 14, "bold")[0]]
                + [sum(measure(t, 10)[0] + 0.9 for t in legend)])
    _fit(fig, ax, boxes, curves, labels, start, has_gaps, least + 0.4)
    _draw_states(ax, boxes, config)
    _draw_start(ax, start, boxes[diagram.initial], config)
    for edge, ctrl, (box, text) in zip(diagram.edges, curves, labels):
        colour = config.gap_color if edge.gap else config.edge_color
        _draw_curve(ax, ctrl, colour, "--" if edge.gap else "-")
        ax.text(box[0], box[1], text, ha="center", va="center", fontsize=config.label_font,
                color=colour, zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    height = fig.get_size_inches()[1]
    fig.text(0.5, 1 - 0.3 / height, diagram.title, ha="center", va="center",
             fontsize=14, weight="bold")
    if has_gaps:
        _legend(fig, config)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=config.dpi, facecolor="white")
    return out.getvalue()


def _measurer(fig):
    """A function giving (width, height) in inches of a text at a font size."""
    renderer = fig.canvas.get_renderer()

    def measure(text: str, size: float, weight: str = "normal") -> Point:
        extent = fig.text(0, 0, text, fontsize=size, weight=weight).get_window_extent(renderer)
        fig.texts.pop()
        return extent.width / fig.dpi, extent.height / fig.dpi
    return measure


def _state_boxes(diagram, config, measure) -> dict[str, Box]:
    pos = layout(diagram, config.layer_gap, config.column_gap)
    boxes = {}
    for state in diagram.states:
        w, h = measure(state, config.state_font, "bold")
        boxes[state] = (*pos[state], w / 2 + 0.16, h / 2 + 0.11)
    return boxes


def _labels(diagram, config, boxes, curves, measure) -> list[tuple[Box, str]]:
    """(box, wrapped text) per edge label."""
    texts = [textwrap.fill(e.label, config.label_width) for e in diagram.edges]
    sizes = [(w + 0.1, h + 0.08) for w, h in (measure(t, config.label_font) for t in texts)]
    return list(zip(place_labels(boxes, curves, sizes), texts, strict=True))


# -- drawing --------------------------------------------------------------------------------

def _start_point(box: Box) -> Point:
    return box[0], box[1] + box[3] + 0.45


def _fit(fig, ax, boxes, curves, labels, start, has_gaps, least_width) -> None:
    """Size the figure to the content, 1 inch per unit, with room for title and legend."""
    xs, ys = [start[0]], [start[1] + 0.1]
    for x, y, w, h in boxes.values():
        xs += [x - w, x + w]
        ys += [y - h, y + h]
    for ctrl in curves:
        xs += [p[0] for p in samples(ctrl)]
        ys += [p[1] for p in samples(ctrl)]
    for (x, y, w, h), _ in labels:
        xs += [x - w, x + w]
        ys += [y - h, y + h]
    top, bottom = 0.7, 0.7 if has_gaps else 0.35
    width = max(max(xs) - min(xs) + 0.6, least_width)
    height = max(ys) - min(ys) + top + bottom
    fig.set_size_inches(width, height)
    left = (min(xs) + max(xs) - width) / 2  # content centred under the title
    ax.set_xlim(left, left + width)
    ax.set_ylim(min(ys) - bottom, min(ys) - bottom + height)


def _draw_states(ax, boxes: dict[str, Box], config: PngConfig) -> None:
    from matplotlib.patches import FancyBboxPatch

    for state, (x, y, w, h) in boxes.items():
        ax.add_patch(FancyBboxPatch((x - w, y - h), 2 * w, 2 * h, zorder=3,
                                    boxstyle="round,pad=0,rounding_size=0.12",
                                    fc=config.state_fill, ec=config.state_line, lw=1.6))
        ax.text(x, y, state, ha="center", va="center", fontsize=config.state_font,
                weight="bold", zorder=4)


def _draw_start(ax, start: Point, box: Box, config: PngConfig) -> None:
    ax.plot(*start, "o", ms=10, color="black", zorder=4)
    _draw_curve(ax, [start, (box[0], box[1] + box[3] + 0.03)], config.edge_color, "-")


def _draw_curve(ax, ctrl: list[Point], colour: str, style: str) -> None:
    """The curve's body (dashed or solid) and a solid arrowhead along its end tangent."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    codes = {2: [Path.MOVETO, Path.LINETO], 3: [Path.MOVETO] + [Path.CURVE3] * 2,
             4: [Path.MOVETO] + [Path.CURVE4] * 3}[len(ctrl)]
    ax.add_patch(FancyArrowPatch(path=Path(ctrl, codes), arrowstyle="-", color=colour,
                                 lw=1.5, linestyle=style, zorder=2))
    tail = at(ctrl, 0.97)
    end = ctrl[-1]
    d = math.dist(tail, end) or 1.0
    back = (end[0] - 0.2 * (end[0] - tail[0]) / d, end[1] - 0.2 * (end[1] - tail[1]) / d)
    ax.add_patch(FancyArrowPatch(back, end, arrowstyle="-|>", mutation_scale=16,
                                 color=colour, lw=1.5, shrinkA=0, shrinkB=0, zorder=2))


def _legend(fig, config: PngConfig) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=config.edge_color, lw=1.5, label=_LEGEND_SEED),
               Line2D([], [], color=config.gap_color, lw=1.5, ls="--", label=GAP_LEGEND)]
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False, fontsize=10)

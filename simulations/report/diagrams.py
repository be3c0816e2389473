"""Write the lifecycle diagrams (seed's, and completed with chart gaps) as Mermaid, DOT and PNG files.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``),
so a reader never sees half a diagram. A folder that cannot be created or written is an
``InputError`` on ``--out``, the option every caller takes it from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from model.chart import SeedFlow
from model.diagram import DiagramGraph, from_graph, render_dot, render_mermaid
from model.flowgraph import chart_to_graph
from simulations.io.files import atomic_write, make_folder

Gap = tuple[str, str, str]  # (source state, event label, destination state)


def seed_diagram() -> DiagramGraph:
    """The seed's chart, extracted from ``SeedFlow``."""
    return from_graph(chart_to_graph(SeedFlow), "Seed's per-send lifecycle (SeedFlow)")


def completed_diagram(gaps: Iterable[Gap]) -> DiagramGraph:
    """The seed's chart plus the observed chart gaps, highlighted."""
    return from_graph(chart_to_graph(SeedFlow),
                      "Completed lifecycle: the seed's chart plus observed gaps", gaps)


def current_gaps() -> list[Gap]:
    """The chart gaps observed on the example scenarios."""
    from simulations.engine.gaps import observed_gaps

    return list(observed_gaps())


def write_diagrams(out_dir: Path, gaps: Iterable[Gap] = ()) -> list[Path]:
    """Write ``seed_flow.{mmd,dot,png}``, and ``completed_flow.*`` when there are gaps.

    Without gaps, a ``completed_flow.*`` left by an earlier run is removed, so the folder
    never shows a completed chart that the current model no longer produces.
    """
    out_dir = Path(out_dir)
    make_folder(out_dir)
    gaps = list(gaps)
    written = _write_one(out_dir, "seed_flow", seed_diagram())
    if gaps:
        written += _write_one(out_dir, "completed_flow", completed_diagram(gaps))
    else:
        for suffix in (".mmd", ".dot", ".png"):
            with contextlib.suppress(FileNotFoundError):
                (out_dir / f"completed_flow{suffix}").unlink()
    return written


def _write_one(out_dir: Path, stem: str, diagram: DiagramGraph) -> list[Path]:
    from simulations.report.render_png import render_png

    files = {".mmd": render_mermaid(diagram).encode(), ".dot": render_dot(diagram).encode(),
             ".png": render_png(diagram)}
    paths = []
    for suffix, data in files.items():
        paths.append(out_dir / f"{stem}{suffix}")
        atomic_write(paths[-1], data)
    return paths

"""Assemble the Markdown report (``OUT/README.md``) from sections, each a (title, markdown) pair.

A section builder writes its own files under the report's folder and returns its section;
links in the markdown are relative to that folder, so the report can be moved or published
as a whole. ``build_report`` only orders and writes: extending the report is adding a builder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from simulations.io.files import atomic_write, make_folder
from simulations.report.diagrams import Gap, write_diagrams

Section = tuple[str, str]  # (title, markdown body)


def build_report(out_dir: Path, sections: Iterable[Section], title: str = "ssesim report",
                 intro: str = "") -> Path:
    """Write ``out_dir/README.md``: the title, an optional intro, then every section in order."""
    out_dir = Path(out_dir)
    make_folder(out_dir)
    parts = [f"# {title}\n"] + ([intro.strip() + "\n"] if intro.strip() else [])
    parts += [f"## {name}\n\n{body.strip()}\n" for name, body in sections]
    path = out_dir / "README.md"
    atomic_write(path, "\n".join(parts))
    return path


def lifecycle_section(out_dir: Path, gaps: Iterable[Gap] = ()) -> Section:
    """Write the diagrams to ``out_dir/diagrams``; the section shows the PNGs, Mermaid folded."""
    out_dir = Path(out_dir)
    gaps = list(dict.fromkeys(gaps))
    files = {p.name: p for p in write_diagrams(out_dir / "diagrams", gaps)}
    body = [("The seed's per-send flow, encoded as a python-statemachine chart "
             "(`model/chart.py`) and proven equal to the seed's Mermaid diagram."),
            _figure(out_dir, files, "seed_flow", "The seed's chart")]
    if gaps:
        body += [("### Chart gaps\n\nObserved steps that the seed's chart does not allow from "
                  "the send's state at that moment (SPEC §5), as (state, event, next state):"),
                 _gap_table(gaps),
                 _figure(out_dir, files, "completed_flow", "Completed chart (gaps dashed red)")]
    else:
        body.append("No chart gaps observed.")
    return "Lifecycle chart", "\n\n".join(body)


def _figure(out_dir: Path, files: dict[str, Path], stem: str, caption: str) -> str:
    """The PNG, then the Mermaid source folded (GitHub draws it when unfolded), then the DOT link."""
    mermaid = files[f"{stem}.mmd"].read_text(encoding="utf-8").strip()
    png, dot = (relative_link(out_dir, files[f"{stem}{s}"]) for s in (".png", ".dot"))
    return (f"**{caption}**\n\n![{caption}]({png})\n\n<details><summary>Mermaid source"
            f"</summary>\n\n```mermaid\n{mermaid}\n```\n\n</details>\n\n"
            f"Graphviz source: [{stem}.dot]({dot})")


def _gap_table(gaps: list[Gap]) -> str:
    rows = ["| state | event | next state |", "| --- | --- | --- |"]
    rows += ["| " + " | ".join(cell.replace("|", "\\|") for cell in gap) + " |" for gap in gaps]
    return "\n".join(rows)


def relative_link(out_dir: Path, path: Path) -> str:
    """``path`` as a Markdown link target relative to ``out_dir`` (angle-bracketed if spaced)."""
    link = Path(os.path.relpath(path, out_dir)).as_posix()
    return f"<{link}>" if " " in link else link

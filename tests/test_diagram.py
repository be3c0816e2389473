"""Diagrams: renderers on hand-built intermediate forms, the PNG's geometry, and the diagram/report commands."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model.chart import SeedFlow
from model.diagram import DiagramGraph, Edge, from_graph, render_dot, render_mermaid
from model.errors import InputError
from model.flowgraph import chart_to_graph, compare_graphs, ordered_edges
from model.mermaid import load_mermaid, parse_mermaid
from simulations.cli import main
from simulations.report import diagrams
from simulations.report.png_layout import layout, place_labels, route
from simulations.report.render_png import render_png

SEED_MMD = Path(__file__).resolve().parents[1] / "model" / "seed_flow.mmd"
GAPS = [("POSTSending", "SSE delivers canonical state", "SSEReceived"),
        ("RollbackOptimistic", "SSE delivers canonical state", "SSEReceived")]
SMALL = DiagramGraph("Small", ("A", "B", "C"), "A",
                     (Edge("A", "B", "go"), Edge("B", "A", "back"), Edge("B", "C", 'say "hi"', gap=True)))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def dot_accepts(text: str, tmp_path: Path) -> None:
    """Fail unless graphviz renders ``text``; skip when graphviz is not installed."""
    if shutil.which("dot") is None:
        pytest.skip("graphviz 'dot' is not installed")
    src = tmp_path / "g.dot"
    src.write_text(text)
    done = subprocess.run(["dot", "-Tsvg", str(src)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout


# -- intermediate form and text renderers --------------------------------------------------

def test_mermaid_of_a_hand_built_diagram():
    assert render_mermaid(SMALL) == (
        '---\ntitle: "Small"\n---\nstateDiagram-v2\n    [*] --> A\n\n'
        "    A --> B : go\n    B --> A : back\n\n"
        "    %% chart gap: observed, not in the seed's chart\n"
        '    B --> C : say "hi"\n')


def test_mermaid_parses_back_to_the_same_transitions():
    graph = parse_mermaid(render_mermaid(SMALL))
    assert graph.graph["title"] == "Small" and graph.graph["initial"] == "A"
    assert ordered_edges(graph) == [("A", "go", "B"), ("B", "back", "A"), ("B", 'say "hi"', "C")]


def test_mermaid_declares_lonely_states():
    lonely = DiagramGraph("t: x", ("A", "Z"), "A", (Edge("A", "A", "stay"),))
    graph = parse_mermaid(render_mermaid(lonely))
    assert set(graph) == {"A", "Z"} and graph.graph["title"] == "t: x"


def test_dot_of_a_hand_built_diagram(tmp_path):
    text = render_dot(SMALL)
    assert text.startswith('digraph "Small" {')
    assert '"A" -> "B" [label="go"];' in text
    assert '"B" -> "C" [label="say \\"hi\\"", color="#d62728"' in text and "style=dashed" in text
    assert "cluster_legend" in text
    assert '"__start__" -> "A";' in text
    dot_accepts(text, tmp_path)


def test_dot_without_gaps_has_no_legend(tmp_path):
    plain = DiagramGraph("Plain", ("A", "B"), "A", (Edge("A", "B", "go"),))
    assert "legend" not in render_dot(plain)
    dot_accepts(render_dot(plain), tmp_path)


def test_from_graph_adds_gaps_once_and_new_states():
    graph = chart_to_graph(SeedFlow)
    seed_edge = ("POSTSending", "Backend error", "POSTFailed")
    diagram = from_graph(graph, "t", [*GAPS, GAPS[0], seed_edge, ("SSEConnected", "Ping", "Elsewhere")])
    gaps = [e for e in diagram.edges if e.gap]
    assert [(e.src, e.label, e.dst) for e in gaps] == [*GAPS, ("SSEConnected", "Ping", "Elsewhere")]
    assert diagram.states[-1] == "Elsewhere" and len(diagram.edges) == 9 + 3


# -- PNG ------------------------------------------------------------------------------------

def _overlap(a, b) -> bool:
    return abs(a[0] - b[0]) < a[2] + b[2] and abs(a[1] - b[1]) < a[3] + b[3]


def test_layout_keeps_states_apart_and_layers_downwards():
    pos = layout(diagrams.seed_diagram(), layer_gap=1.6, column_gap=3.1)
    assert pos["SSEConnected"][1] > pos["OptimisticUpdate"][1] > pos["POSTSending"][1]
    assert pos["POSTSuccess"][1] == pos["POSTFailed"][1]
    points = list(pos.values())
    assert all(abs(p[0] - q[0]) >= 3.1 or p[1] != q[1] for p in points for q in points if p != q)


@pytest.mark.parametrize("gaps", [[], GAPS])
def test_seed_labels_overlap_no_state_and_no_label(gaps):
    diagram = diagrams.completed_diagram(gaps)
    pos = layout(diagram, 1.6, 3.1)
    boxes = {s: (*pos[s], 0.8, 0.2) for s in diagram.states}
    labels = place_labels(boxes, route(diagram, boxes), [(1.2, 0.3)] * len(diagram.edges))
    assert not any(_overlap(a, b) for a in labels for b in boxes.values())
    assert not any(_overlap(a, b) for i, a in enumerate(labels) for b in labels[i + 1:])


def test_png_of_a_hand_built_diagram_is_an_image_with_red_gaps():
    import io

    from matplotlib.image import imread

    def red_pixels(data: bytes) -> int:
        image = imread(io.BytesIO(data))
        r, g, b = image[..., 0], image[..., 1], image[..., 2]
        return int(((r > 0.7) & (g < 0.35) & (b < 0.35)).sum())

    with_gap = render_png(SMALL)
    without = render_png(DiagramGraph("Plain", ("A", "B"), "A", (Edge("A", "B", "go"),)))
    assert with_gap.startswith(PNG_MAGIC) and without.startswith(PNG_MAGIC)
    assert red_pixels(with_gap) > 100
    assert red_pixels(without) == 0


# -- files and commands ---------------------------------------------------------------------

@pytest.fixture
def no_gaps(monkeypatch):
    monkeypatch.setattr(diagrams, "current_gaps", list)


@pytest.fixture
def some_gaps(monkeypatch):
    monkeypatch.setattr(diagrams, "current_gaps", lambda: list(GAPS))


def test_diagram_command_writes_the_seeds_chart(tmp_path, capsys, no_gaps):
    out = tmp_path / "new" / "diagrams"
    assert main(["diagram", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["seed_flow.dot", "seed_flow.mmd", "seed_flow.png"]
    assert compare_graphs(load_mermaid(out / "seed_flow.mmd"), load_mermaid(SEED_MMD)) == []
    assert (out / "seed_flow.png").read_bytes().startswith(PNG_MAGIC)
    assert (out / "seed_flow.png").stat().st_size > 10_000
    assert capsys.readouterr().out.split() == [str(out / n) for n in
                                               ("seed_flow.mmd", "seed_flow.dot", "seed_flow.png")]
    dot_accepts((out / "seed_flow.dot").read_text(), tmp_path)


def test_diagram_command_writes_the_completed_chart_when_there_are_gaps(tmp_path, some_gaps):
    assert main(["diagram", "--out", str(tmp_path)]) == 0
    completed = load_mermaid(tmp_path / "completed_flow.mmd")
    seed = load_mermaid(SEED_MMD)
    diffs = compare_graphs(completed, seed, "completed", "seed")
    assert diffs == sorted(f"edge {s} --[{e}]--> {d} only in completed" for s, e, d in GAPS)
    assert (tmp_path / "completed_flow.png").read_bytes().startswith(PNG_MAGIC)
    dot_accepts((tmp_path / "completed_flow.dot").read_text(), tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left
    diagrams.write_diagrams(tmp_path, [])
    assert not list(tmp_path.glob("completed_flow.*"))  # a stale completed chart is removed


def test_unwritable_folder_is_one_line_and_exit_2(tmp_path, capsys, no_gaps):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["diagram", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"ssesim diagram: error: {blocker / 'sub'}: --out: cannot create folder")


WRITE_DIAGRAMS = """
import sys
from pathlib import Path
from model.errors import InputError
from simulations.report import diagrams
for folder in sys.argv[1:]:
    try:
        print(len(diagrams.write_diagrams(Path(folder))))
    except InputError as exc:
        sys.exit(f"InputError: {exc}")
"""
# From <linux/prctl.h> and <linux/capability.h>.
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def _obey_file_modes() -> None:
    """In the child before exec: drop root's power to bypass file modes (its bounding set)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def write_diagrams_obeying_modes(*folders: Path) -> subprocess.CompletedProcess:
    """``write_diagrams`` into each folder in turn, in a child that, even as root, cannot write
    where the mode forbids; it stops at the first ``InputError``."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]),
               PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-c", WRITE_DIAGRAMS, *map(str, folders)], env=env,
                          capture_output=True, text=True, timeout=120, check=False,
                          preexec_fn=_obey_file_modes)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses Linux capabilities")
def test_read_only_folder_is_an_input_error(tmp_path):
    """A folder the user may not write to. Root ignores file modes (and CI runs as root), so as
    root the write runs in a child without that power, after a control: the same child writes to
    an open folder first."""
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        if os.geteuid() != 0:
            where = re.escape(str(read_only))
            with pytest.raises(InputError, match=f"^{where}: --out: cannot write seed_flow.mmd"):
                diagrams.write_diagrams(read_only)
            return
        done = write_diagrams_obeying_modes(tmp_path / "open", read_only)
        assert (done.returncode, done.stdout) == (1, "3\n")  # the open folder took 3 files
        assert done.stderr == (f"InputError: {read_only}: --out: cannot write seed_flow.mmd: "
                               "Permission denied\n")
        assert not list(read_only.iterdir())
    finally:
        read_only.chmod(0o700)


def test_a_failed_write_is_an_input_error_and_leaves_no_temp_file(tmp_path):
    (tmp_path / "seed_flow.mmd").mkdir()  # os.replace onto a folder fails, even for root
    with pytest.raises(InputError, match="seed_flow.mmd: --out: cannot write"):
        diagrams.write_diagrams(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed_flow.mmd"]


def test_unknown_option_is_one_line_and_exit_2(capsys):
    assert main(["diagram", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--bogus" in err


def test_report_embeds_mermaid_and_png(tmp_path, capsys, some_gaps):
    args = ["report", "--out", str(tmp_path), "--sweep", "quick", "--runs", "1", "--max-states", "50",
            "--quiet"]
    assert main(args) == 0
    text = (tmp_path / "README.md").read_text()
    assert text.startswith("# ssesim report") and "## Lifecycle chart" in text
    assert "## Check verdicts" in text and (tmp_path / "index.html").exists()
    assert text.count("stateDiagram-v2") == 2  # the two charts; counterexamples add sequences
    assert text.count("```mermaid\n") == 2 + text.count("sequenceDiagram")
    assert "![The seed's chart](diagrams/seed_flow.png)" in text
    assert "](diagrams/completed_flow.png)" in text
    assert "| POSTSending | SSE delivers canonical state | SSEReceived |" in text
    assert (tmp_path / "diagrams" / "seed_flow.png").exists()
    assert capsys.readouterr().out.strip().splitlines() == [str(tmp_path / "README.md"),
                                                            str(tmp_path / "index.html")]


def test_build_report_keeps_section_order(tmp_path):
    from simulations.report.build import build_report

    path = build_report(tmp_path, [("One", "first"), ("Two", "second | x")], title="T", intro="hi")
    assert path.read_text() == "# T\n\nhi\n\n## One\n\nfirst\n\n## Two\n\nsecond | x\n"

"""The seed's chart: SeedFlow equals model/seed_flow.mmd, the graph's shape, and the mermaid parser's errors."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from model.chart import SeedFlow
from model.errors import InputError, SsesimError
from model.flowgraph import chart_to_graph, compare_graphs, ordered_edges
from model.mermaid import load_mermaid, mermaid_blocks, parse_mermaid

SEED_MMD = Path(__file__).resolve().parents[1] / "model" / "seed_flow.mmd"
SEED_DOC = Path(__file__).resolve().parents[1] / "model" / "docs" / "seed-design.md"  # shipped copy
SHARED_SEED_DOC = Path("/work/shared/seed/post-sse-strategy.md")  # the team's original, where present


@pytest.fixture(scope="module")
def seed_graph() -> nx.MultiDiGraph:
    return load_mermaid(SEED_MMD)


def test_chart_equals_seed_mermaid(seed_graph):
    assert compare_graphs(seed_graph, chart_to_graph(SeedFlow)) == []


def test_chart_has_the_seeds_exact_states_and_labels(seed_graph):
    assert set(seed_graph) == {
        "SSEConnected", "OptimisticUpdate", "POSTSending", "POSTSuccess", "POSTFailed",
        "WaitingSSE", "SSEReceived", "RollbackOptimistic"}
    assert seed_graph.graph["initial"] == "SSEConnected"
    assert ordered_edges(seed_graph) == ordered_edges(chart_to_graph(SeedFlow))
    assert len(ordered_edges(seed_graph)) == 9


def test_one_changed_edge_is_named():
    text = SEED_MMD.read_text().replace(
        "POSTSending --> POSTFailed : Backend error", "POSTSending --> POSTSuccess : Backend error")
    diffs = compare_graphs(parse_mermaid(text), chart_to_graph(SeedFlow))
    assert diffs == ["edge POSTSending --[Backend error]--> POSTSuccess only in mermaid",
                     "edge POSTSending --[Backend error]--> POSTFailed only in chart"]


def test_state_and_initial_differences_are_named():
    text = SEED_MMD.read_text().replace("[*] --> SSEConnected", "[*] --> Idle\n    Idle --> SSEConnected : go")
    diffs = compare_graphs(parse_mermaid(text), chart_to_graph(SeedFlow))
    assert "state Idle only in mermaid" in diffs
    assert "edge Idle --[go]--> SSEConnected only in mermaid" in diffs
    assert "initial state is Idle in mermaid, SSEConnected in chart" in diffs


def test_seed_flow_file_is_the_seed_documents_block(seed_graph):
    blocks = mermaid_blocks(SEED_DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 1
    assert compare_graphs(parse_mermaid(blocks[0], "seed"), seed_graph) == []


@pytest.mark.skipif(not SHARED_SEED_DOC.exists(), reason="the team's shared seed document is not on this machine")
def test_the_shipped_seed_design_is_the_shared_one_verbatim():
    shipped = SEED_DOC.read_text(encoding="utf-8").split("\n", 2)[2]  # after the provenance comment
    assert shipped == SHARED_SEED_DOC.read_text(encoding="utf-8")


def test_every_state_reachable_from_the_start(seed_graph):
    start = seed_graph.graph["initial"]
    assert nx.descendants(seed_graph, start) | {start} == set(seed_graph)


def test_sseconnected_reachable_from_every_state(seed_graph):
    assert nx.ancestors(seed_graph, "SSEConnected") | {"SSEConnected"} == set(seed_graph)


def test_parser_accepts_labels_comments_and_front_matter():
    graph = parse_mermaid('---\ntitle: "A: b"\n---\n%% hi\nstateDiagram-v2\n'
                          '    direction LR\n    state "Start here" as A\n    [*] --> A\n'
                          "    A --> B : go: now\n")
    assert graph.graph["title"] == "A: b"
    assert graph.nodes["A"]["label"] == "Start here"
    assert ordered_edges(graph) == [("A", "go: now", "B")]


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("stateDiagram-v2\n[*] --> A\nA -> B : x\n", 3, "cannot parse 'A -> B : x'"),
    ("stateDiagram-v2\n[*] --> A\n\nA --> B\n", 4, "has no label"),
    ("stateDiagram-v2\n[*] --> A\nA --> [*]\n", 3, "final"),
    ("stateDiagram-v2\n[*] --> A\n[*] --> B\n", 3, "second initial state"),
    ("stateDiagram-v2\n[*] --> A\nA --> B : x\nA --> B : x\n", 4, "duplicate transition"),
    ("flowchart LR\n", 1, "expected 'stateDiagram-v2' first"),
])
def test_malformed_line_names_source_line_and_problem(text, line, problem):
    with pytest.raises(InputError) as info:
        parse_mermaid(text, source="flow.mmd")
    message = str(info.value)
    assert message.startswith(f"flow.mmd: line {line}: ")
    assert problem in message
    assert "\n" not in message


def test_missing_header_or_initial_is_an_input_error():
    with pytest.raises(InputError, match="no 'stateDiagram-v2' header"):
        parse_mermaid("%% only a comment\n", source="x.mmd")
    with pytest.raises(InputError, match="no initial state"):
        parse_mermaid("stateDiagram-v2\nA --> B : x\n", source="x.mmd")


def test_unreadable_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_mermaid(tmp_path / "missing.mmd")


def test_input_errors_are_value_errors():
    assert issubclass(InputError, SsesimError) and issubclass(InputError, ValueError)

"""The parts and their arrows (README, *Architecture*), enforced by parsing every import.

Rules: no import circle between modules; nothing imports the CLI; only the report part imports
matplotlib; and each part imports only the parts below it (``LAYERS``). Imports inside functions
count too: a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each part may import the parts of a lower rank (and itself); equal ranks are independent.
LAYERS = {"model": 0, "simulations.io": 1, "simulations.engine": 2, "simulations.live": 2,
          "simulations.explore": 3, "simulations.sweep": 3, "simulations.browser": 3,
          "simulations.report": 4,
          "simulations.cli": 5, "simulations.bench": 5, "simulations.__main__": 6,
          "simulations": 0}  # the bare package holds only __version__


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from a import b`` gives ``a.b`` when it is one)."""
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def project_graph() -> tuple[nx.DiGraph, dict[str, set[str]]]:
    files = [p for d in ("model", "simulations") for p in (ROOT / d).rglob("*.py")]
    names = {module_name(p): p for p in files}
    graph, external = nx.DiGraph(), {}
    for name, path in names.items():
        graph.add_node(name)
        imported = imports_of(path)
        external[name] = imported
        for target in imported:
            if target in names and target != name:
                graph.add_edge(name, target)
    return graph, external


def part(module: str) -> str:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    raise AssertionError(f"{module} belongs to no part; add it to LAYERS")


GRAPH, EXTERNAL = project_graph()


def test_the_walk_sees_the_whole_project():
    assert {"model.system", "simulations.cli", "simulations.engine.simulator",
            "simulations.report.plots"} <= set(GRAPH)
    assert GRAPH.has_edge("simulations.cli.run", "simulations.engine.simulator")


def test_no_import_circle():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import circles: {cycles[:5]}"


def test_nothing_imports_the_cli():
    arrows = [(a, b) for a, b in GRAPH.edges
              if part(b) == "simulations.cli" and part(a) not in ("simulations.cli", "simulations.__main__")]
    assert not arrows, f"imports of the CLI: {arrows}"


def test_only_the_report_part_imports_matplotlib():
    users = sorted(m for m, imported in EXTERNAL.items()
                   if any(i == "matplotlib" or i.startswith("matplotlib.") for i in imported)
                   and part(m) != "simulations.report")
    assert not users, f"matplotlib imported outside simulations.report: {users}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_arrows_point_down(module):
    up = [t for t in GRAPH.successors(module)
          if part(t) != part(module) and LAYERS[part(t)] >= LAYERS[part(module)]]
    assert not up, f"{module} imports {up}: a part may import only the parts below it"


def test_the_rules_catch_a_planted_circle(tmp_path):
    """The walk itself can fail: a two-module circle in a scratch tree is found."""
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    graph = nx.DiGraph()
    for p in tmp_path.glob("*.py"):
        for t in imports_of(p):
            if (tmp_path / f"{t.split('.')[0]}.py").exists():
                graph.add_edge(p.stem, t.split(".")[0])
    assert list(nx.simple_cycles(graph))

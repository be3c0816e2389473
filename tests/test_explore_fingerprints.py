"""The visited set of 64-bit fingerprints explores exactly what full keys explore (issue 11, item 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model.strategies import BUILTIN
from simulations.cli import main
from simulations.explore.explorer import explore, fingerprint
from simulations.io.scenario import builtin_scenarios, load_scenario

SMALL = ["error-after-commit", "two-quick-sends", "disconnect-resume-none", "flags-stuck-after-disconnect"]
PATHS = {p.stem: p for p in builtin_scenarios()}


@pytest.mark.parametrize("stem", SMALL)
@pytest.mark.parametrize("strategy", [s for s in BUILTIN if s != "seed-retry"])
def test_fingerprints_and_full_keys_explore_the_same_graph(stem, strategy):
    scenario = load_scenario(PATHS[stem])
    fp = explore(scenario, strategy, max_states=20_000)
    full = explore(scenario, strategy, max_states=20_000, full_keys=True)
    assert fp.complete and full.complete
    assert (fp.states, fp.transitions, fp.max_depth) == (full.states, full.transitions, full.max_depth)
    assert fp.paths == full.paths and fp.violations == full.violations
    assert full.collision_probability is None and 0 <= fp.collision_probability < 1e-9


def test_fingerprints_are_the_same_in_every_process():
    key = (("s1", ("user", 0)), (True, 1, None), 2.5, ("ok",))
    code = ("from simulations.explore.explorer import fingerprint;"
            f"print(fingerprint({key!r}))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}, check=True,
                           cwd=Path(__file__).resolve().parent.parent).stdout
            for seed in ("1", "2")}
    assert outs == {f"{fingerprint(key)}\n"}


def test_explore_full_keys_option(capsys):
    assert main(["explore", str(PATHS["error-after-commit"]), "--json", "--full-keys"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["fingerprint_collision_probability"] is None and obj["complete"]


@pytest.mark.parametrize("stem", ["error-after-commit", "two-quick-sends"])
@pytest.mark.parametrize("strategy", [s for s in BUILTIN if s != "seed-retry"])
def test_the_graph_has_the_states_and_transitions_explore_counts(stem, strategy):
    from simulations.explore.explorer import Model
    from simulations.explore.graph import build_graph
    scenario = load_scenario(PATHS[stem])
    graph, complete = build_graph(Model(scenario, strategy))
    result = explore(scenario, strategy)
    assert complete and result.complete
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (result.states, result.transitions)

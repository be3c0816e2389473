"""Sweep files: expansion into cells, and one-line errors naming the file and the key."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sweep_fakes import fake_parse

from model.errors import InputError
from simulations.io.sweep_file import cell_data, load_sweep, parse_sweep

GOOD = """
name = "t"
base = "base.toml"
strategies = ["seed", "reconciled"]
seeds = 3
seed_start = 5
[scenario]
workload.count = 7
[grid]
"post.faults.response_lost" = [0.0, 0.1]
sse.disconnect_rate = [0.0, 0.5, 1.0]
[grids.history]
workload.count = [10, 20]
sse.payload = ["snapshot", "delta"]
"""
BASE = """
name = "b"
[post.faults]
request_lost = 0.01
[workload]
count = 3
rate = 1.0
"""


def write(tmp_path: Path, text: str, base: str = BASE) -> Path:
    (tmp_path / "base.toml").write_text(base)
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def test_cells_are_each_study_product_in_file_order(tmp_path):
    sweep = load_sweep(write(tmp_path, GOOD), parse=fake_parse)
    assert sweep.seeds == (5, 6, 7)
    assert [c.study for c in sweep.cells] == ["main"] * 6 + ["history"] * 4
    assert sweep.grid_keys == ("post.faults.response_lost", "sse.disconnect_rate",
                               "workload.count", "sse.payload")
    assert sweep.run_count == 10 * 2 * 3
    first = sweep.cells[0]
    assert first.id == "main|post.faults.response_lost=0.0|sse.disconnect_rate=0.0"
    data = sweep.scenario_data(sweep.cells[-1])
    assert data["workload"] == {"count": 20, "rate": 1.0}  # [scenario] merged, then the grid
    assert data["sse"]["payload"] == "delta"
    assert data["post"]["faults"] == {"request_lost": 0.01}
    assert sweep.base["workload"]["count"] == 7  # the base itself is not mutated


def test_fingerprint_changes_with_the_runs(tmp_path):
    a = load_sweep(write(tmp_path, GOOD), parse=fake_parse)
    assert a.fingerprint() == load_sweep(tmp_path / "s.toml", parse=fake_parse).fingerprint()
    b = load_sweep(write(tmp_path, GOOD.replace("seeds = 3", "seeds = 4")), parse=fake_parse)
    assert a.fingerprint() != b.fingerprint()


def test_no_grid_is_one_base_cell(tmp_path):
    sweep = load_sweep(write(tmp_path, 'name = "x"\nstrategies = ["seed"]\nseeds = [3, 1]\n'),
                       parse=fake_parse)
    assert [c.label for c in sweep.cells] == ["base"]
    assert sweep.seeds == (3, 1)


BAD = [
    ('bsae = "x"', "bsae", "unknown key"),
    ('name = ""', "name", "slug"),
    ("name = 3", "name", "slug"),
    ('strategies = "seed"', "strategies", "list"),
    ('strategies = ["sneed"]', "strategies", "sneed"),
    ('strategies = ["seed", "seed"]', "strategies", "twice"),
    ("seeds = 0", "seeds", ">= 1"),
    ('seeds = "3"', "seeds", "integer"),
    ("seeds = true", "seeds", "integer"),
    ("seeds = [1, 1]", "seeds", "twice"),
    ("seeds = [1]\nseed_start = 2", "seed_start", "count"),
    ("seed_start = -1", "seed_start", ">= 0"),
    ('base = "nope.toml"', "base", "no such"),
    ("[scenario]\nbogus = 1", "scenario.bogus", "unknown key"),  # the table of the sweep file
    ('[grid]\n"sse.payload" = "delta"', "grid.sse.payload", "list"),
    ('[grid]\n"sse.payload" = []', "grid.sse.payload", "at least one"),
    ('[grid]\n"sse.payload" = ["delta", "diff"]', "grid.sse.payload", "diff"),
    ('[grid]\n"post.faults.response_lost" = [0.1, 1.5]', "grid.post.faults.response_lost",
     "probability"),
    ('[grid]\n"post.faults.response_lost" = [0.995]', "grid.post.faults.response_lost", "sum"),
    ('[grid]\n"workload.count.mean" = [1]', "grid.workload.count.mean", "not a table"),
    ("[grids]", "grids", "non-empty"),
    ("[grids.a]", "grids.a", "non-empty"),
]


@pytest.mark.parametrize(("edit", "key", "problem"), BAD)
def test_bad_sweep_is_one_line_naming_file_and_key(tmp_path, edit, key, problem):
    lines = ['name = "t"', 'base = "base.toml"', 'strategies = ["seed"]', "seeds = 2"]
    top = edit.split("\n")[0].split(" =")[0]
    lines = [ln for ln in lines if ln.split(" =")[0] != top]
    text = "\n".join(lines) + "\n" + edit + "\n"
    with pytest.raises(InputError) as info:
        load_sweep(write(tmp_path, text), parse=fake_parse)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(tmp_path)), msg
    assert f": {key}:" in msg, msg
    assert problem in msg, msg


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="invalid TOML"):
        load_sweep(write(tmp_path, "name = "), parse=fake_parse)
    with pytest.raises(InputError, match="no such file"):
        load_sweep(tmp_path / "missing.toml", parse=fake_parse)


def test_error_in_base_names_the_base_file(tmp_path):
    path = write(tmp_path, 'name = "t"\nbase = "base.toml"\nstrategies = ["seed"]\nseeds = 1\n',
                 base="[post.faults]\nrejected = 2.0\n")
    with pytest.raises(InputError, match=r"base\.toml: post\.faults\.rejected: .*probability"):
        load_sweep(path, parse=fake_parse)


def test_cell_data_refuses_a_path_through_a_value(tmp_path):
    sweep = load_sweep(write(tmp_path, 'name = "t"\nstrategies = ["seed"]\nseeds = 1\n'),
                       parse=fake_parse)
    cell = sweep.cells[0].__class__("main", (("workload.count.x", 1),))
    with pytest.raises(InputError, match="workload.count is not a table"):
        cell_data({"workload": {"count": 3}}, cell, "s.toml")


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.text(string.printable,
                                                                                 max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("abgrids.", max_size=6),
                                                                inner, max_size=3),
    max_leaves=8)
_keys = st.sampled_from(["name", "description", "base", "scenario", "grid", "grids", "strategies",
                         "seeds", "seed_start", "extra", "grid.sse.payload", "scenario.post"])


@given(st.dictionaries(_keys, _values, max_size=6))
def test_random_malformed_sweeps_fail_with_one_line(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("h")
    (tmp / "base.toml").write_text(BASE)
    data = {k: v for k, v in data.items() if k != "base" or v is None}
    data = {k: v for k, v in data.items() if v is not None}
    try:
        parse_sweep(data, str(tmp / "s.toml"), tmp, parse=fake_parse)
    except InputError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith(str(tmp))

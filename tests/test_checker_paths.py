"""The run arithmetic of the online checkers (model/checkers/runs.py, ``Mirror.matches``) against plain
definitions over spelled-out entries, on random views: several runs, empty runs, other sessions."""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from model.checkers.mirror import Mirror
from model.checkers.runs import canon_diff, normalize, opt_changes

LOG = 6  # messages in each session's log
runs = st.lists(st.tuples(st.sampled_from(["s1", "s2"]), st.integers(0, LOG), st.integers(0, LOG)).map(
    lambda r: (r[0], min(r[1:]), max(r[1:]))), max_size=4).map(tuple)
# growing snapshots, the fast paths' case: one run from the start
snapshots = st.integers(0, LOG).map(lambda n: (("s1", 0, n),) if n else ())
canons = st.one_of(runs, snapshots)
opts = st.lists(st.integers(0, 4), max_size=5).map(tuple)
flags = st.tuples(st.booleans(), st.booleans())


def entries(canon) -> list:
    return [(s, i) for s, lo, hi in canon for i in range(lo, hi)]


@given(canons)
def test_normalize_keeps_the_entries_in_merged_runs(canon):
    out = normalize(canon)
    assert entries(out) == entries(canon)
    assert all(hi > lo for _s, lo, hi in out)
    assert all(not (a[0] == b[0] and a[2] == b[1]) for a, b in itertools.pairwise(out))


@given(canons, canons)
def test_canon_diff_is_the_difference_of_the_entries(old, new):
    added, removed = canon_diff(old, new)
    assert Counter(added) == Counter(entries(new)) - Counter(entries(old))
    assert Counter(removed) == Counter(entries(old)) - Counter(entries(new))


@given(opts, st.one_of(opts, st.integers(0, 4)))
def test_opt_changes_is_the_difference_of_the_sends(old, new):
    if isinstance(new, int):  # the fast paths' cases: one appended, one removed
        new = old + (new,) if new % 2 or not old else old[:new % len(old)] + old[new % len(old) + 1:]
    net = Counter()
    for send, d in opt_changes(old, new):
        net[send] += d
    expected = Counter(new)
    expected.subtract(Counter(old))
    assert {s: d for s, d in net.items() if d} == {s: d for s, d in expected.items() if d}


@given(canons, opts, flags, st.integers(0, LOG), flags)
def test_a_view_matches_the_server_exactly_when_it_shows_the_whole_log(canon, opt, view_flags, n,
                                                                       server_flags):
    m = Mirror("s1")
    m.sends, m.flags = [None] * n, server_flags
    m.full = (("s1", 0, n),) if n else ()
    expected = not opt and view_flags == server_flags and entries(canon) == [("s1", i) for i in range(n)]
    assert m.matches(canon, opt, view_flags) == expected

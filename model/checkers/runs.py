"""View arithmetic over canonical runs: normal form, what changed between two views, and whether a
view equals its session's committed state. Pure functions; the checkers' fast paths call them."""

from __future__ import annotations

from collections import Counter

EMPTY_VIEW = ((), (), (False, False))


def normalize(canon: tuple) -> tuple:
    """Merge adjacent runs and drop empty ones, so equal sequences have equal run tuples."""
    out: list = []
    for s, lo, hi in canon:
        if hi <= lo:
            continue
        if out and out[-1][0] == s and out[-1][2] == lo:
            out[-1] = (s, out[-1][1], hi)
        else:
            out.append((s, lo, hi))
    return tuple(out)


def canon_diff(old: tuple, new: tuple):
    """(added, removed) canonical entries as lists of (session, index); fast for growing snapshots."""
    if old == new:
        return (), ()
    if len(old) == 1 and len(new) == 1:
        (so, lo_o, hi_o), (sn, lo_n, hi_n) = old[0], new[0]
        if so == sn and lo_o == lo_n:
            if hi_n == hi_o + 1:
                return ((sn, hi_o),), ()
            if hi_n >= hi_o:
                return [(sn, i) for i in range(hi_o, hi_n)], ()
            return (), [(sn, i) for i in range(hi_n, hi_o)]
    oc = Counter((s, i) for s, lo, hi in old for i in range(lo, hi))
    nc = Counter((s, i) for s, lo, hi in new for i in range(lo, hi))
    return list((nc - oc).elements()), list((oc - nc).elements())


def opt_changes(old: tuple, new: tuple):
    """(send, +1/-1) changes between two optimistic lists; fast for append, clear and one removal."""
    lo, ln = len(old), len(new)
    if ln == lo + 1 and new[:lo] == old:
        return ((new[-1], 1),)
    if not ln:
        return [(s, -1) for s in old]
    if not lo:
        return [(s, 1) for s in new]
    if ln == lo - 1:
        for i in range(lo):
            if i == ln or old[i] != new[i]:
                if old[i + 1:] == new[i:]:
                    return ((old[i], -1),)
                break
    changes = [(s, k) for s, k in (Counter(new) - Counter(old)).items()]
    return changes + [(s, -k) for s, k in (Counter(old) - Counter(new)).items()]

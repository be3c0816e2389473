"""The report's story: the summary (two sentences a strategy, numbers from the data) and the
section on what ``reconciled`` does differently, on hand-built verdicts and sweep aggregates."""

from __future__ import annotations

import re

from simulations.report.story import MECHANISMS, RACES, reconciled_section, summary_section
from simulations.sweep.aggregate import Aggregate, LogHistogram, _g


def verdict(strategy, scenario, description, runs=(), explored=(), complete=True, scripted=()):
    return {"strategy": strategy, "scenario": scenario, "description": description,
            "runs": {i: 1 for i in runs}, "scripted": {i: 2 for i in scripted},
            "explored": {"states": 10, "complete": complete,
                         "violations": {i: ["step"] for i in explored}}}


VERDICTS = [
    verdict("seed", "drop", "A5 silent drop: the server drops it", runs=["no-orphan"],
            explored=["no-silent-loss", "no-orphan"], scripted=["no-silent-loss", "no-orphan"]),
    verdict("seed", "ghost", "A3/A12 ghost: failed though committed", explored=["no-ghost"],
            scripted=["no-ghost"]),
    verdict("seed", "control", "Isolation (no race; the control)", complete=False),
    verdict("reconciled", "drop", "A5 silent drop: the server drops it"),
    verdict("reconciled", "ghost", "A3/A12 ghost: failed though committed"),
    verdict("reconciled", "control", "Isolation (no race; the control)", complete=False),
]


def stats(runs, sends, anomalies, **rates):
    row = {"runs": runs, "sends": sends}
    for name in ("anomalies", *RACE_FREE):
        v = anomalies if name == "anomalies" else rates.get(name.replace("-", "_"), 0.0)
        row[name], row[f"{name}.lo"], row[f"{name}.hi"] = v, v * 0.9, (v * 1.1 or 3 / sends)
    return row


RACE_FREE = ("sse-only", "no-orphan", "no-ghost", "no-flicker", "no-duplicate", "convergence",
             "monotonic", "isolation", "send-order", "no-silent-loss")


def fake_agg() -> Aggregate:
    seed_a, seed_b = stats(8, 800, 0.25, no_ghost=0.2), stats(4, 400, 1.5, no_flicker=1.2)
    seed = stats(12, 1200, 0.6667, no_ghost=0.13, no_flicker=0.4)
    rec = stats(12, 1200, 0.0)
    fast, slow = LogHistogram(), LogHistogram()
    for x in (0.1, 0.2, 0.3):
        fast.add(x)
        slow.add(x * 20)
    return Aggregate(meta={"sweep": {"name": "tiny", "studies": {"a": {}, "b": {}}}}, rows=[],
                     confirm_by_strategy={"seed": fast, "reconciled": slow}, failed_runs=0,
                     by_strategy={"seed": seed, "reconciled": rec},
                     by_study={("a", "seed"): seed_a, ("b", "seed"): seed_b,
                               ("a", "reconciled"): stats(8, 800, 0.0),
                               ("b", "reconciled"): stats(4, 400, 0.0)})


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=\.)\s+(?=[A-Z*])", text.strip()) if s]


def test_summary_gives_each_strategy_two_sentences_of_computed_numbers():
    title, body = summary_section(VERDICTS, fake_agg())
    assert title == "Summary"
    head, bullets = body.split("\n")[0], [ln[2:] for ln in body.splitlines() if ln.startswith("- ")]
    assert head == ("Of the 2 built-in strategies, `reconciled` kept every invariant in all 3 "
                    "example scenarios and in every run of the sweep.")
    seed, rec = bullets
    assert len(sentences(seed)) == 2 and len(sentences(rec)) == 2
    assert seed.startswith("**`seed` fails**: it broke 3 of the 10 invariants in the 3 example "
                           "scenarios, ")
    assert "most often `no-orphan`, `no-ghost` and `no-silent-loss` (in 1 scenario each)" in seed
    assert (f"per 100 sends, {_g(25.0)} violations (95% CI {_g(22.5)}–{_g(27.5)}) in study `a` "
            f"and {_g(150.0)} (95% CI {_g(135.0)}–{_g(165.0)}) in study `b`, mostly `no-flicker`"
            ) in seed
    assert rec.startswith("**`reconciled` passes**: it kept all 10 invariants in all 3 example "
                          "scenarios (2 of 3 explorations complete).")
    assert f"violated none in 12 runs and 1,200 sends (95% upper bound {_g(0.25)} per" in rec


def test_summary_without_a_passing_strategy_says_so():
    failing = [v for v in VERDICTS if v["strategy"] == "seed"]
    _title, body = summary_section(failing, None)
    assert body.startswith("Of the 1 built-in strategies, none kept every invariant in all 3 ")
    assert len(sentences(body.splitlines()[-1][2:])) == 1  # no sweep: the scenarios only


def test_every_race_is_removed_by_a_named_mechanism():
    removed = {race for _name, _does, races in MECHANISMS for race in races}
    assert removed == set(RACES) == {f"A{i}" for i in range(1, 15)}  # A13, A14: SPEC v3.2


def test_reconciled_section_shows_each_race_with_its_scenario_and_verdicts():
    title, body = reconciled_section(VERDICTS, fake_agg())
    assert title == "What `reconciled` does differently"
    rows = {ln.split(" | ")[0].lstrip("| "): ln for ln in body.splitlines()
            if re.match(r"\| A\d+ ", ln)}
    assert set(rows) == {f"A{i} {what}" for i, what in
                         ((k[1:], v) for k, v in RACES.items())}
    a5 = next(v for k, v in rows.items() if k.startswith("A5 "))
    assert a5.endswith("| `drop` | `no-orphan` 2, `no-silent-loss` 2 | held |")
    a12 = next(v for k, v in rows.items() if k.startswith("A12 "))
    assert a12.endswith("| `ghost` | `no-ghost` 2 | held |")
    assert "found nothing either for `reconciled`:" in body
    a9 = next(v for k, v in rows.items() if k.startswith("A9 "))
    assert "| no example scenario |" in a9
    assert "Isolation" not in body  # the control names no race
    agg = fake_agg()
    rec, seed = agg.confirm_by_strategy["reconciled"], agg.confirm_by_strategy["seed"]
    assert (f"median {_g(rec.quantile(0.5))} s against the seed's {_g(seed.quantile(0.5))} s"
            in body)

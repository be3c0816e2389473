"""The report's story: the summary at the top, and what ``reconciled`` does differently and why.

Every number comes from the check verdicts (``simulations.report.check.verdict`` dicts) and the
sweep's aggregate; the words that do not change with the data (which mechanism removes which
race) follow SPEC §2.2 and the race list A1–A14 of the project's research notes, which the
example scenarios name at the start of their descriptions (``"A5 silent drop: ..."``).
"""

from __future__ import annotations

import re

from model.invariants import INVARIANTS
from simulations.report.check import broken
from simulations.sweep.aggregate import Aggregate, _g

# The anomaly classes: id -> what the user sees happen (research notes, "Anomaly classes").
RACES = {
    "A1": "flicker: an event emitted before the send commits wipes its entry, which comes back",
    "A2": "quick second send wiped by the snapshot of the first",
    "A3": "ghost: the server committed, the POST then failed, the user was told it failed",
    "A4": "duplicate: a retry without an idempotency key commits twice",
    "A5": "silent drop: a 2xx, then the server drops the message, no error shown",
    "A6": "stuck optimistic: committed, but no event follows (\"sending…\" forever)",
    "A7": "stale overwrite: an older snapshot delivered after a newer one",
    "A8": "reconnect without catch-up: the pre-outage state stays",
    "A9": "wrong flags: a typing flag stuck after a disconnect",
    "A10": "reorder: the second POST overtakes the first",
    "A11": "multi-tab wipe: another tab's event wipes this tab's optimistic entries",
    "A12": "error after confirmation: the snapshot shows it sent, then the POST fails",
    "A13": "reconnect without an id: a stream dropped before its first event replays nothing",
    "A14": "dead stream: an HTTP error on a reconnect closes the EventSource for good",
}

# reconciled's mechanisms (SPEC §2.2): name, what it does, the races it removes.
MECHANISMS = (
    ("Client message id (idempotency key)",
     ("every attempt of a send carries the same id; the server commits an id once and answers "
     "a repeat as the original"), ("A4",)),
    ("Rebase on the canonical state",
     ("the view is the newest applied server state plus, after it in send order, the entries of "
     "undecided sends whose id it lacks; an event no longer wipes an entry it does not hold"),
     ("A1", "A2", "A11")),
    ("Versioned states",
     "a state is applied only if its version is newer than the newest applied one",
     ("A7",)),
    ("Decided by the server's state",
     ("a send is confirmed when an applied state holds its id, and failed only on a 4xx or on a "
     "2xx whose version is not newer than an applied state that lacks the id (accepted, then "
     "dropped: rollback and error)"), ("A5", "A6")),
    ("Ambiguous failures retried, never shown as failed",
     ("a timeout or 5xx is retried with the same id (exponential backoff) until the send is "
     "decided; after `retries` of them the entry shows *unconfirmed*, which claims neither "
     "sent nor failed"), ("A3", "A12")),
    ("Request deadline",
     ("the server refuses an attempt after its deadline, so an attempt the client stopped "
     "waiting for cannot commit after a later decision"), ("A3", "A10")),
    ("One send at a time per client",
     ("the next send's first POST waits until the previous send is decided, so the server "
     "commits a client's sends in the order they were made"), ("A10",)),
    ("Snapshot on every connect",
     ("on every reconnect the client asks for the full state first (messages and flags), "
     "whatever the server's resume mode, and whether or not its EventSource has an id to send "
     "(a stream that dropped before its first event carries none, and would get nothing "
     "replayed)"), ("A6", "A8", "A9", "A13")),
    ("Reopen a failed EventSource",
     ("a reconnect answered with an HTTP error closes a browser's EventSource for good; the "
     "client opens a new one itself after `sse.reconnect_delay` (and again if that one is "
     "refused), asking for a snapshot first"), ("A14",)),
)
_RACE_ID = re.compile(r"\bA(\d{1,2})\b")


def summary_section(verdicts: list[dict], agg: Aggregate | None) -> tuple[str, str]:
    """A verdict per strategy in two sentences: the example scenarios, then the sweep."""
    strategies = list(dict.fromkeys(r["strategy"] for r in verdicts))
    n_scen = len({r["scenario"] for r in verdicts})
    passing = [s for s in strategies if not any(broken(r) for r in verdicts if r["strategy"] == s)]
    head = (f"Of the {len(strategies)} built-in strategies, "
            + (f"{_join(f'`{s}`' for s in passing)} kept every invariant" if passing else "none kept every invariant")
            + f" in all {n_scen} example scenarios"
            + (" and in every run of the sweep." if agg and passing and all(
                agg.by_strategy[s]["anomalies"] == 0 for s in passing
                if s in agg.by_strategy) else "."))
    lines = [head, ""]
    for s in strategies:
        lines.append(f"- {_check_sentence(s, verdicts, n_scen)} {_sweep_sentence(s, agg)}".rstrip())
    return "Summary", "\n".join(lines)


def _check_sentence(strategy: str, verdicts: list[dict], n_scen: int) -> str:
    mine = [r for r in verdicts if r["strategy"] == strategy]
    counts = {inv: sum(inv in broken(r) for r in mine) for inv in INVARIANTS}
    explored = [r for r in mine if r["explored"]]
    complete = sum(r["explored"]["complete"] for r in explored)
    bound = (f"{complete} of {len(explored)} explorations complete" if complete < len(explored)
             else "every exploration complete")
    worst = sorted((i for i in INVARIANTS if counts[i]), key=lambda i: -counts[i])
    if not worst:
        return (f"**`{strategy}` passes**: it kept all {len(INVARIANTS)} invariants in all "
                f"{n_scen} example scenarios ({bound}).")
    top = counts[worst[0]]
    most = [i for i in worst if counts[i] == top]
    return (f"**`{strategy}` fails**: it broke {len(worst)} of the {len(INVARIANTS)} invariants "
            f"in the {n_scen} example scenarios, most often {_join(f'`{i}`' for i in most)} "
            f"(in {top} scenario{'s' * (top != 1)}{' each' * (len(most) > 1)}).")


def _sweep_sentence(strategy: str, agg: Aggregate | None) -> str:
    if agg is None or strategy not in agg.by_strategy or not agg.by_strategy[strategy]["runs"]:
        return ""
    total = agg.by_strategy[strategy]
    name = agg.sweep["name"]
    if total["anomalies"] == 0:
        return (f"In the sweep `{name}` it violated none in {total['runs']:,} runs and "
                f"{total['sends']:,} sends (95% upper bound {_g(total['anomalies.hi'] * 100)} "
                "per 100 sends).")
    studies = [st for st in agg.sweep["studies"] if agg.by_study[(st, strategy)]["runs"]]
    parts = []
    for k, st in enumerate(studies):
        r = agg.by_study[(st, strategy)]
        parts.append(f"{_g(r['anomalies'] * 100)}{' violations' * (k == 0)} (95% CI "
                     f"{_g(r['anomalies.lo'] * 100)}–{_g(r['anomalies.hi'] * 100)})"
                     + (f" in study `{st}`" if len(studies) > 1 else ""))
    top = max(INVARIANTS, key=lambda i: total[i])
    return (f"In the sweep `{name}` it averaged, per 100 sends, {_join(parts)}, mostly `{top}`.")


def reconciled_section(verdicts: list[dict], agg: Aggregate | None = None) -> tuple[str, str]:
    """The mechanisms of ``reconciled``, the races each removes, and the evidence per race."""
    lines = [
        ("The seed's races have four root causes: the temp id never reaches the server (no "
        "identity), every SSE event replaces the whole list (blind replacement), the client "
        "does not compare versions, and every POST failure is taken as definite although a timeout or a "
        "5xx may come after the commit. `reconciled` (SPEC §2.2) keeps the seed's optimistic "
        "entry, POST and SSE stream and removes each cause; the server only honours an "
        "idempotency key, a request deadline and a snapshot-first connection."),
        "", "| mechanism | what it does | removes |", "|---|---|---|"]
    lines += [f"| {name} | {does} | {', '.join(races)} |" for name, does, races in MECHANISMS]
    strategies = list(dict.fromkeys(r["strategy"] for r in verdicts))
    clean = [s for s in strategies if not any(broken(r) for r in verdicts if r["strategy"] == s)]
    lines += ["", "Each race has an example scenario (its description names the race). The table "
              "gives what one run of it (its scripted sends, its own seed) broke, with the number "
              "of episodes"
              + (f"; the explorations of *Check verdicts*, which try every interleaving, found "
                 f"nothing either for {_join(f'`{s}`' for s in clean)}" if clean else "") + ":",
              "", "| race | scenario | " + " | ".join(f"`{s}`" for s in strategies) + " |",
              "|---|---|" + "---|" * len(strategies)]
    by_race = _scenarios_by_race(verdicts)
    for race, what in RACES.items():
        scenarios = by_race.get(race, [])
        if not scenarios:
            lines.append(f"| {race} {what} | no example scenario | "
                         + " | ".join("–" for _ in strategies) + " |")
        for scenario in scenarios:
            cells = []
            for s in strategies:
                r = next((v for v in verdicts if v["strategy"] == s
                          and v["scenario"] == scenario), None)
                cells.append("–" if r is None else ", ".join(
                    f"`{i}` {r['scripted'][i]}" for i in INVARIANTS if r["scripted"].get(i))
                    or "held")
            lines.append(f"| {race} {what} | `{scenario}` | " + " | ".join(cells) + " |")
    cost = _cost(agg)
    if cost:
        lines += ["", cost]
    return "What `reconciled` does differently", "\n".join(lines)


def _scenarios_by_race(verdicts: list[dict]) -> dict[str, list[str]]:
    """Race id -> the example scenarios whose description opens with it, in file order."""
    out: dict[str, list[str]] = {}
    for r in verdicts:
        head, sep, _ = r.get("description", "").partition(":")
        if not sep:
            continue
        for number in _RACE_ID.findall(head):
            names = out.setdefault(f"A{number}", [])
            if r["scenario"] not in names:
                names.append(r["scenario"])
    return out


def _cost(agg: Aggregate | None) -> str:
    """What reconciled pays for it: time to confirm against the seed's, from the sweep."""
    if agg is None:
        return ""
    hists = agg.confirm_by_strategy
    if not (hists.get("reconciled") and hists["reconciled"].n and hists.get("seed")
            and hists["seed"].n):
        return ""
    rec, seed = hists["reconciled"], hists["seed"]
    return (f"What it costs (sweep `{agg.sweep['name']}`, every cell pooled): a send is confirmed "
            f"only when a state holding it arrives, a lost request is retried only after the POST "
            f"timeout, and a client's later sends wait behind it (one at a time), so the time "
            f"to confirm has a longer tail: median "
            f"{_g(rec.quantile(0.5))} s against the seed's {_g(seed.quantile(0.5))} s, 99th "
            f"percentile {_g(rec.quantile(0.99))} s against {_g(seed.quantile(0.99))} s, above "
            f"1 s for {_g(rec.fraction_above(1.0) * 100)}% of sends against "
            f"{_g(seed.fraction_above(1.0) * 100)}%.")


def _join(items) -> str:
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def story_sections(verdicts: list[dict], sweep_dir=None) -> list[tuple[str, str]]:
    """The summary and the reconciled section, from the verdicts and a finished sweep folder."""
    from simulations.sweep.aggregate import aggregate

    agg = aggregate(sweep_dir) if sweep_dir is not None else None
    return [summary_section(verdicts, agg), reconciled_section(verdicts, agg)]

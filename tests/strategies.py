"""Shared Hypothesis strategies: valid scenario tables (SPEC §6), malformed ones, and TOML text for both.

Sizes are kept small on purpose (≤ 3 clients, ≤ 3 scripted sends, ≤ 3 workload sends per client), so a
generated scenario simulates in milliseconds. ``to_toml`` writes the subset of TOML that scenarios use, so
the tests need no TOML writer package.
"""

from __future__ import annotations

import json
import re

from hypothesis import assume, event
from hypothesis import strategies as st

from model.config import ALL_FAULTS, FAULTS, PAYLOADS, RESUMES
from model.strategies import BUILTIN

SESSIONS = ("s1", "s2", "s3")
STRATEGIES = tuple(BUILTIN)


def seconds(low: float = 0.0, high: float = 1.0) -> st.SearchStrategy[float]:
    """A duration in [low, high], rounded to milliseconds so that its TOML text is short and exact."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3)).filter(
        lambda x: low <= x <= high)


def latencies(high: float = 0.5) -> st.SearchStrategy:
    """Every latency form of SPEC §2.5 (every delay key takes them all): a bare number, and each
    ``dist`` table kind."""
    bare = st.one_of(seconds(0, high), st.integers(0, 1))
    constant = st.builds(lambda v: {"dist": "constant", "value": v}, seconds(0, high))
    uniform = st.tuples(seconds(0, high), seconds(0, high)).map(
        lambda lh: {"dist": "uniform", "low": min(lh), "high": max(lh)})
    exponential = st.builds(lambda m: {"dist": "exponential", "mean": m}, seconds(0, high / 2))
    lognormal = st.builds(lambda m, s: {"dist": "lognormal", "median": m, "sigma": s},
                          seconds(0, high / 2), seconds(0, 1.0))
    empirical = st.builds(lambda xs: {"dist": "empirical", "samples": xs},
                          st.lists(seconds(0, high), min_size=1, max_size=4))
    return st.one_of(bare, constant, uniform, exponential, lognormal, empirical)


@st.composite
def fault_tables(draw, max_total: int = 100) -> dict:
    """``[post.faults]``: a few of the six faults, probabilities in hundredths summing to ≤ max_total/100."""
    names = draw(st.lists(st.sampled_from(FAULTS), unique=True, max_size=len(FAULTS)))
    if not names:
        return {}
    weights = [draw(st.integers(1, 10)) for _ in names]
    total = draw(st.integers(0, max_total))
    return {name: (total * w // sum(weights)) / 100 for name, w in zip(names, weights)}


@st.composite
def scenario_dicts(draw, *, bounded: bool = True, strategy: str | None = None,
                   max_fault_total: int = 100) -> dict:
    """A valid raw scenario table. ``bounded`` adds an ``until`` horizon: with a fault probability of 1,
    ``reconciled`` retries forever (SPEC §2.2), so an unbounded run need not end."""
    n_clients = draw(st.integers(1, 3))
    d: dict = {"name": draw(st.sampled_from(["gen", "random scenario", "x"])),
               "strategy": strategy or draw(st.sampled_from(STRATEGIES)),
               "seed": draw(st.integers(0, 2**31))}
    if bounded:
        d["until"] = draw(seconds(1.0, 20.0))
    d["post"] = {"request_latency": draw(latencies()), "response_latency": draw(latencies()),
                 "timeout": draw(seconds(0.05, 3.0)), "faults": draw(fault_tables(max_fault_total))}
    d["sse"] = {"delay": draw(latencies(0.3)), "payload": draw(st.sampled_from(PAYLOADS)),
                "disconnect_rate": draw(seconds(0, 0.5)), "reconnect_delay": draw(latencies(1.0)),
                "resume": draw(st.sampled_from(RESUMES)), "old_stream_drains": draw(st.booleans()),
                "old_stream_delay": draw(latencies(1.0))}
    d["server"] = {"max_message_length": draw(st.integers(1, 6)), "assistant": draw(st.booleans()),
                   "think_delay": draw(latencies(1.0)), "reply_delay": draw(latencies(1.0))}
    d["strategy_options"] = {"retries": draw(st.integers(0, 3)),
                             "retry_backoff": draw(seconds(0.05, 1.0)),
                             "retry_backoff_max": draw(seconds(0.05, 2.0)),
                             "request_deadline": draw(seconds(0.05, 3.0))}
    d["clients"] = [{"session": draw(st.sampled_from(SESSIONS))} for _ in range(n_clients)]
    d["sends"] = draw(st.lists(send_tables(n_clients), max_size=3))
    d["events"] = draw(st.lists(st.fixed_dictionaries(
        {"at": seconds(0, 2.0), "client": st.integers(0, n_clients - 1),
         "kind": st.just("sse-disconnect")}), max_size=2))
    if draw(st.booleans()):
        d["workload"] = {"rate": draw(seconds(0.5, 5.0)), "count": draw(st.integers(0, 3)),
                         "content_length": draw(st.integers(0, 8))}
    d["explore"] = {"faults": draw(st.lists(st.sampled_from(ALL_FAULTS), min_size=1, max_size=3,
                                            unique=True)),
                    "max_disconnects": draw(st.integers(0, 2))}
    for key in ("sse", "server", "strategy_options", "events", "explore"):
        if key in d and draw(st.integers(0, 3)) == 0:
            del d[key]  # every key is optional (SPEC §2.6)
    return d


@st.composite
def send_tables(draw, n_clients: int) -> dict:
    """One ``[[sends]]`` entry, with the optional fault and latency overrides sometimes present."""
    send = {"at": draw(seconds(0, 2.0)), "client": draw(st.integers(0, n_clients - 1)),
            "content": draw(st.text(alphabet="ab ok", max_size=5))}
    if draw(st.booleans()):
        send["fault"] = draw(st.sampled_from(ALL_FAULTS))
    if draw(st.booleans()):
        send["request_latency"] = draw(latencies())
    if draw(st.booleans()):
        send["response_latency"] = draw(latencies())
    return send


# --- differential runs (tests/test_reference.py) --------------------------------------------------------
# Small, busy scenarios: every send, fault, disconnect and resume mode within a second or two, so that one
# run takes milliseconds and still has races. Drawn with plain integer choices, which Hypothesis generates
# and shrinks cheaply (the test needs thousands of examples per run).

PLUGINS = tuple(f"tests.plugins.planted:{name}" for name in (
    "RollbackByContent", "NoVersionCheck", "RetryWithoutId", "RebaseDropsPending", "GapBlindResume")) + tuple(
    f"tests.plugins.views:{name}" for name in (
        "FragmentedRuns", "PrependsOptimistic", "KeepsOptimistic", "ReversedLog", "TypingOnSend")) + (
    "tests.plugins.leaky:Leaky", "tests.plugins.greedy_rollback:GreedyRollback",
    "tests.plugins.forgetful:Forgetful")
CONTENTS = ("A", "B", "ok", "", "long!")  # "" and "long!" (with max_message_length 4) fail validation


def _small_latency(draw, high: int) -> tuple[float | dict, float]:
    """A constant, uniform or exponential latency of at most ``high`` milliseconds (mean), and the
    least value it can take."""
    kind = draw(st.integers(0, 2))
    a, b = draw(st.integers(0, high)) / 1000, draw(st.integers(0, high)) / 1000
    if kind == 0:
        return a, a
    if kind == 1:
        return {"dist": "uniform", "low": min(a, b), "high": max(a, b)}, min(a, b)
    return {"dist": "exponential", "mean": a / 2}, 0.0


@st.composite
def differential_scenarios(draw) -> dict:
    """A raw scenario table for one differential run: 1-3 clients on 1-2 sessions, 1-4 scripted
    sends (some invalid, some with a forced fault), random fault probabilities (at most 60 %, so
    retries end), disconnects scripted and random, every resume mode, payload, drain and assistant
    setting; sometimes a workload and sometimes an ``until`` horizon (which skips the end check)."""
    n_clients = draw(st.integers(1, 3))
    i = st.integers
    d: dict = {"name": "differential"}
    timeout = draw(i(50, 1500)) / 1000
    request, least_request = _small_latency(draw, 400)
    response, least_response = _small_latency(draw, 400)
    d["post"] = {"request_latency": request, "response_latency": response,
                 "timeout": timeout, "faults": draw(fault_tables(60))}
    d["sse"] = {"delay": _small_latency(draw, 300)[0], "payload": PAYLOADS[draw(i(0, 1))],
                "disconnect_rate": draw(i(0, 3)) / 4, "reconnect_delay": draw(i(0, 800)) / 1000,
                "resume": RESUMES[draw(i(0, len(RESUMES) - 1))], "old_stream_drains": draw(st.booleans()),
                "old_stream_delay": draw(i(0, 800)) / 1000,
                "reconnect_refused": (0.0, 0.0, 0.25, 0.5)[draw(i(0, 3))]}  # SPEC v3.2: A14
    d["server"] = {"max_message_length": 4, "assistant": draw(st.booleans()),
                   "think_delay": draw(i(0, 600)) / 1000, "reply_delay": draw(i(0, 600)) / 1000}
    d["strategy_options"] = {"retries": draw(i(0, 2)), "retry_backoff": draw(i(10, 500)) / 1000,
                             "retry_backoff_max": 1.0,
                             # mostly within the timeout (reconciled's precondition), sometimes not
                             "request_deadline": timeout if draw(i(0, 3)) else timeout * 2}
    d["clients"] = [{"session": ("s1", "s2")[draw(i(0, 1))]} for _ in range(n_clients)]
    d["sends"] = []
    for _ in range(draw(i(1, 4))):
        send = {"at": draw(i(0, 1500)) / 1000, "client": draw(i(0, n_clients - 1)),
                "content": CONTENTS[draw(i(0, len(CONTENTS) - 1))]}
        fault = draw(i(-3, len(ALL_FAULTS) - 1))
        if fault >= 0:
            send["fault"] = ALL_FAULTS[fault]
        d["sends"].append(send)
    d["events"] = [{"at": draw(i(0, 1500)) / 1000, "client": draw(i(0, n_clients - 1)),
                    "kind": "sse-disconnect", "refuse": draw(i(0, 2))} for _ in range(draw(i(0, 2)))]
    if not draw(i(0, 3)):
        d["workload"] = {"rate": 4.0, "count": draw(i(1, 3)), "content_length": draw(i(0, 5))}
    if not draw(i(0, 3)) or least_request + least_response >= timeout:
        # Every POST timing out would keep reconciled retrying for a simulated day: stop early.
        d["until"] = draw(i(200, 4000)) / 1000
    return d


# --- malformed scenarios ------------------------------------------------------------------------------
# Each mutation breaks one thing in a valid table and returns the key path the error line must name.

def _set(d: dict, path: str, value) -> None:
    *tables, key = path.split(".")
    for t in tables:
        d = d.setdefault(t, {})
    d[key] = value


def _first_send(d: dict) -> dict:
    if not d.get("sends"):
        d["sends"] = [{"at": 0.0, "content": "A"}]
    return d["sends"][0]


MUTATIONS = {
    "unknown top key": lambda d: (d.__setitem__("colour", "blue"), "colour")[1],
    "unknown table key": lambda d: (_set(d, "sse.payload_kind", "delta"), "sse.payload_kind")[1],
    "unknown fault": lambda d: (_set(d, "post.faults.timeout", 0.1), "post.faults.timeout")[1],
    "unknown send key": lambda d: (_first_send(d).__setitem__("delay", 1.0), "sends[0].delay")[1],
    "number as string": lambda d: (_set(d, "post.timeout", "10s"), "post.timeout")[1],
    "boolean as string": lambda d: (_set(d, "server.assistant", "yes"), "server.assistant")[1],
    "integer as float": lambda d: (_set(d, "strategy_options.retries", 1.5), "strategy_options.retries")[1],
    "number as boolean": lambda d: (_set(d, "sse.reconnect_delay", True), "sse.reconnect_delay")[1],
    "table as number": lambda d: (d.__setitem__("post", 3), "post")[1],
    "negative latency": lambda d: (_set(d, "post.request_latency", -0.05), "post.request_latency")[1],
    "negative dist value": lambda d: (_set(d, "sse.delay", {"dist": "constant", "value": -1.0}),
                                      "sse.delay.value")[1],
    "negative send latency": lambda d: (_first_send(d).__setitem__("response_latency", -1),
                                        "sends[0].response_latency")[1],
    "negative timeout": lambda d: (_set(d, "post.timeout", -1.0), "post.timeout")[1],
    "probability above 1": lambda d: (_set(d, "post.faults", {"rejected": 1.5}), "post.faults.rejected")[1],
    "negative probability": lambda d: (_set(d, "post.faults", {"request_lost": -0.1}),
                                       "post.faults.request_lost")[1],
    "probabilities sum above 1": lambda d: (_set(d, "post.faults", {"rejected": 0.6, "response_lost": 0.6}),
                                            "post.faults")[1],
    "send names a missing client": lambda d: (_first_send(d).__setitem__("client", len(d.get("clients", [0]))),
                                              "sends[0].client")[1],
    "event names a missing client": lambda d: (d.__setitem__("events", [{"at": 0.1, "client": 7}]),
                                               "events[0].client")[1],
    "unknown send fault": lambda d: (_first_send(d).__setitem__("fault", "boom"), "sends[0].fault")[1],
    "unknown payload": lambda d: (_set(d, "sse.payload", "diff"), "sse.payload")[1],
    "unknown resume": lambda d: (_set(d, "sse.resume", "replay"), "sse.resume")[1],
    "unknown dist": lambda d: (_set(d, "post.response_latency", {"dist": "gaussian", "mean": 1}),
                               "post.response_latency.dist")[1],
    "uniform high below low": lambda d: (_set(d, "post.response_latency",
                                              {"dist": "uniform", "low": 2, "high": 1}),
                                         "post.response_latency.high")[1],
    "empty empirical": lambda d: (_set(d, "sse.delay", {"dist": "empirical", "samples": []}),
                                  "sse.delay.samples")[1],
    "unknown event kind": lambda d: (d.__setitem__("events", [{"at": 0.1, "kind": "sse-reset"}]),
                                     "events[0].kind")[1],
    "unknown explore fault": lambda d: (_set(d, "explore.faults", ["ok", "meteor"]), "explore.faults[1]")[1],
    "unknown strategy": lambda d: (d.__setitem__("strategy", "optimistic-v2"), "strategy")[1],
}


@st.composite
def malformed_scenarios(draw) -> tuple[dict, str]:
    """``(raw table, key)``: a valid table with exactly one problem; the error line must name ``key``."""
    d = draw(scenario_dicts())
    name = draw(st.sampled_from(sorted(MUTATIONS)))
    return d, MUTATIONS[name](d)


TEXT_CORRUPTIONS = (
    "\n[post\n",                      # unclosed table header
    '\nname = "unterminated\n',       # unterminated string
    "\n= 3\n",                        # a value without a key
    "\n[sse]\n[sse]\n",               # a table defined twice
    "\nname = 1 2\n",                 # two values
)


@st.composite
def malformed_texts(draw) -> bytes:
    """The TOML text of a valid scenario with a syntax error appended (or invalid UTF-8 bytes)."""
    text = to_toml(draw(scenario_dicts()))
    if draw(st.integers(0, len(TEXT_CORRUPTIONS))) == len(TEXT_CORRUPTIONS):
        return text.encode() + b"\nname = \"\xff\xfe\"\n"
    return (text + draw(st.sampled_from(TEXT_CORRUPTIONS))).encode()


# --- TOML text -----------------------------------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(d: dict) -> str:
    """TOML text for a raw scenario table: top-level tables as ``[t]``, lists of tables as ``[[t]]``,
    deeper tables inline. Values that are not tables stay where they are, so mistyped values survive."""
    top, tables, arrays = [], [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((k, v))
        else:
            top.append(f"{_key(k)} = {_value(v)}")
    lines = top
    for k, v in tables:
        lines += ["", f"[{_key(k)}]"] + [f"{_key(kk)} = {_value(vv)}" for kk, vv in v.items()]
    for k, items in arrays:
        for item in items:
            lines += ["", f"[[{_key(k)}]]"] + [f"{_key(kk)} = {_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


def assume_complete(*explorations) -> None:
    """Assume away a generated case whose exploration its test's state bound stopped.

    Such a case merely ran long: it proves nothing either way, so it is neither a pass nor a
    failure. How many there were is a Hypothesis event (``--hypothesis-show-statistics``)."""
    complete = all(e.complete for e in explorations)
    event("exploration within the bound" if complete else "past the state bound: assumed away")
    assume(complete)

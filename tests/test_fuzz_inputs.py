"""A fuzz of the loaders through the command line: scenarios, sweeps, traces and counterexamples,
as structured values (extreme numbers, wrong types, deep nesting) and as raw text.

Whatever the input, ssesim exits 0, 1 or 2, never prints a traceback, prints exactly one
``ssesim CMD: error:`` line for bad input, and leaves nothing behind in the output folder (no trace for a
failed run, no hidden temp file). Bounded in the default suite; ``-m slow`` runs the same properties
on more than 10,000 examples in all (``SLOW_EXAMPLES`` per test).
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from strategies import scenario_dicts, to_toml

from model.errors import InputError
from simulations.cli import main
from simulations.engine import simulator as engine
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario
from simulations.io.sweep_file import load_sweep

SCENARIOS = {p.stem: p for p in builtin_scenarios()}
FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
SLOW_EXAMPLES = 2_600  # x 4 properties below: > 10,000 in all
SLOW = settings(FAST, max_examples=SLOW_EXAMPLES, derandomize=False)


# --- values --------------------------------------------------------------------------------------
EXTREMES = [0, -0.0, -1, 1, 5e-324, 1e-308, 1.1e-308, 1e-300, 1e-7, 0.5, 1e6, 1.0000001e6, 1e9, 1e300,
            1e308, float("inf"), float("-inf"), float("nan"), 2**31, 2**53 + 1, 2**63 - 1, 2**63,
            -(2**63) - 1, 2**64, 10**30, 9223372036854775807, 2000000000, 1000000000000]
# No ":" in generated text: "module:Class" would import arbitrary modules as strategies.
TEXT = st.text(st.characters(blacklist_characters=":", blacklist_categories=("Cs",)), max_size=12)


def numbers() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(EXTREMES), st.floats(), st.integers(-(2**70), 2**70),
                     st.floats(-10.0, 10.0))


def deep(depth: int, leaf, kind: str):
    value = leaf
    for _ in range(depth):
        value = {"a": value} if kind == "table" else [value]
    return value


def wild() -> st.SearchStrategy:
    """Any value a mistaken or hostile file might hold where ssesim expects something else."""
    scalars = st.one_of(numbers(), st.booleans(), TEXT, st.sampled_from(["A\nB", "\r", "\x85\u2028"]))
    nested = st.builds(deep, st.integers(1, 60), scalars, st.sampled_from(["table", "array"]))
    return st.one_of(scalars, nested,
                     st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                                  | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6))


# Key paths of a scenario a mutation may set (arrays of tables by index).
SCENARIO_PATHS = [
    "name", "description", "strategy", "seed", "until", "post", "post.request_latency",
    "post.response_latency", "post.timeout", "post.faults", "post.faults.rejected",
    "post.faults.request_lost", "post.faults.response_lost", "sse", "sse.delay", "sse.payload",
    "sse.disconnect_rate", "sse.reconnect_delay", "sse.resume", "sse.old_stream_drains",
    "sse.old_stream_delay", "server.max_message_length", "server.assistant", "server.think_delay",
    "server.reply_delay", "strategy_options.retries", "strategy_options.retry_backoff",
    "strategy_options.retry_backoff_max", "strategy_options.request_deadline", "clients",
    "clients.0.session", "workload", "workload.rate", "workload.count", "workload.content_length",
    "sends", "sends.0.at", "sends.0.client", "sends.0.content", "sends.0.fault",
    "sends.0.request_latency", "sends.0.response_latency", "events", "events.0.at", "events.0.client",
    "explore.faults", "explore.max_disconnects", "explore.sometimes", "unknown_key",
    "sse.delay.mean", "post.request_latency.sigma", "strategy_options.a\nb", "sse.x\u2028y",
    "clients.0.\x1c",
]
DISTS = st.sampled_from([
    {"dist": "lognormal", "median": 1, "sigma": 1e6}, {"dist": "lognormal", "median": 1e300, "sigma": 1},
    {"dist": "exponential", "mean": 1e308}, {"dist": "uniform", "low": 0, "high": 1e300},
    {"dist": "empirical", "samples": [1e300, 0]}, {"dist": "uniform", "low": 1}, {"dist": "normal"},
    {"dist": "constant", "value": float("nan")}, {"mean": 1}])


def set_path(d: dict, path: str, value) -> None:
    parts = path.split(".")
    node = d
    for part in parts[:-1]:
        if part.isdigit():
            if not isinstance(node, list) or not node:
                return
            node = node[min(int(part), len(node) - 1)]
        else:
            if not isinstance(node, dict):
                return
            if not isinstance(node.get(part), (dict, list)):
                node[part] = {}
            node = node[part]
    if isinstance(node, dict):
        node[parts[-1]] = value


@st.composite
def mutated_scenarios(draw) -> dict:
    d = draw(scenario_dicts())
    for _ in range(draw(st.integers(1, 3))):
        value = draw(st.one_of(wild(), DISTS, numbers()))
        set_path(d, draw(st.sampled_from(SCENARIO_PATHS)), value)
    return d


# Valid values at the ends of their ranges: runs must end, or stop at a work cap (exit 2, one line).
EDGES = {
    "until": [0, 1e6], "post.timeout": [0, 1e6], "post.request_latency": [0, 1e6, {"dist": "lognormal",
                                                                                   "median": 1e6, "sigma": 10}],
    "sse.delay": [0, 1e6, {"dist": "exponential", "mean": 1e6}, {"dist": "lognormal", "median": 1e-9,
                                                                "sigma": 10}],
    "sse.disconnect_rate": [0, 1e-6, 1e6], "sse.reconnect_delay": [0, 1e6], "sse.old_stream_delay": [1e6],
    "server.think_delay": [0, 1e6], "server.reply_delay": [0, {"dist": "uniform", "low": 0, "high": 1e6}],
    "server.max_message_length": [0, 1_000_000], "strategy_options.retries": [0, 1000],
    "strategy_options.retry_backoff": [0, 1e6], "strategy_options.retry_backoff_max": [0, 1e6],
    "strategy_options.request_deadline": [0, 1e6], "workload.rate": [1e-6, 1e6],
    "workload.count": [0, 100_000], "workload.content_length": [0, 1000], "sends.0.at": [1e6],
    "events.0.at": [0, 1e6], "seed": [-(2**63), 2**63 - 1], "explore.max_disconnects": [1000],
}


@st.composite
def edge_scenarios(draw) -> dict:
    d = draw(scenario_dicts(bounded=draw(st.booleans())))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(sorted(EDGES)))
        set_path(d, path, draw(st.sampled_from(EDGES[path])))
    return d


def huge_int(digits: int) -> str:
    return "9" * digits


SNIPPETS = st.one_of(
    st.builds(lambda n: "x = " + "{a=" * n + "1" + "}" * n, st.integers(1, 3000)),
    st.builds(lambda n: "x = " + "[" * n + "1" + "]" * n, st.integers(1, 3000)),
    st.builds(lambda n: f"seed = {huge_int(n)}", st.integers(1, 6000)),
    st.builds(lambda n: f"[post]\ntimeout = {huge_int(n)}", st.integers(1, 6000)),
    st.sampled_from(["[post]\ntimeout = 1e400", "until = nan", "until = -inf", "[sse]\ndelay = inf",
                     "[[sends]]\nat = 1e300\ncontent = \"A\"", "[workload]\ncount = 9223372036854775807",
                     "[workload]\nrate = 1e-300", "[sse]\ndisconnect_rate = 1.1e-308",
                     "[workload]\ncontent_length = 2000000000\ncount = 1",
                     "[server]\nreply_delay = {dist = \"uniform\", low = 0, high = 1e300}",
                     "[post]\nrequest_latency = 1e308\n[[sends]]\ncontent = \"A\"",
                     'name = "\\u0000\\n"', "= 1", "[[clients]]\nsession = 3", "\x00\x01\x02"]),
)


@st.composite
def scenario_texts(draw) -> bytes:
    """TOML text: a valid scenario's, a snippet instead or after it, or bytes that are not text."""
    base = to_toml(draw(scenario_dicts())) if draw(st.booleans()) else ""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=200))
    snippet = draw(SNIPPETS)
    return (base + "\n" + snippet + "\n").encode("utf-8", "surrogatepass")


# --- the properties ---------------------------------------------------------------------------------
def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def outcome_ok(status: int, err: str) -> None:
    assert status in (0, 1, 2), status
    assert "Traceback" not in err, err
    if status == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and err.endswith("\n"), err
        assert re.match(r"ssesim( [a-z-]+)?: error: ", lines[0]), err


@pytest.fixture(autouse=True)
def small_work_caps(monkeypatch):
    """Valid extreme scenarios are bounded by the caps; low caps keep each example short."""
    monkeypatch.setattr(engine, "MAX_EVENTS", 20_000)
    monkeypatch.setattr(engine, "STALL_STEPS", 5_000)


class Case:
    """A scratch folder per example: the input file, and an output folder that must stay clean."""

    def __init__(self, root: Path, name: str):
        self.dir = root
        self.input = root / name
        self.out = root / "out"
        for p in root.glob("**/*"):
            if p.is_file():
                p.unlink()

    def run(self, capsys, *argv) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        outcome_ok(status, err)
        event(f"{argv[0]}: exit {status}")  # --hypothesis-show-statistics: how often each
        return status, out, err


def check_run(capsys, case: Case) -> None:
    case.out.mkdir(exist_ok=True)
    trace = case.out / "t.jsonl"
    status, out, _ = case.run(capsys, "run", case.input, "--json", "--trace", trace)
    if status == 2:
        assert out == "" and leftovers(case.out) == [], leftovers(case.out)
    else:
        assert leftovers(case.out) == ["t.jsonl"]
        assert json.loads(out)["violations"]


def scenario_property(tmp_path_factory, capsys, data) -> None:
    case = Case(tmp_path_factory.mktemp("sc"), "s.toml")
    case.input.write_bytes(data if isinstance(data, bytes) else to_toml(data).encode("utf-8", "surrogatepass"))
    check_run(capsys, case)


@FAST
@given(st.one_of(mutated_scenarios(), edge_scenarios(), scenario_texts()))
def test_fuzz_scenarios(tmp_path_factory, capsys, data):
    scenario_property(tmp_path_factory, capsys, data)


@pytest.mark.slow
@SLOW
@given(st.one_of(mutated_scenarios(), edge_scenarios(), scenario_texts()))
def test_fuzz_scenarios_slow(tmp_path_factory, capsys, data):
    scenario_property(tmp_path_factory, capsys, data)


# --- sweeps --------------------------------------------------------------------------------------
GRID_KEYS = st.sampled_from(["post.faults.response_lost", "sse.disconnect_rate", "workload.count",
                             "sse.payload", "post.timeout", "sse.reconnect_delay", "nope.key",
                             "workload.count.deeper"])


@st.composite
def sweep_tables(draw) -> dict:
    d: dict = {"name": draw(st.one_of(st.just("fuzz"), TEXT)),
               "strategies": draw(st.one_of(st.just(["seed"]), st.lists(st.sampled_from(
                   ["seed", "reconciled", "nope", ""]), max_size=3), wild())),
               "seeds": draw(st.one_of(st.integers(-3, 3), st.sampled_from(EXTREMES), wild(),
                                       st.lists(st.integers(-2, 2**64), max_size=4)))}
    if draw(st.booleans()):
        d["seed_start"] = draw(st.one_of(st.integers(-3, 3), numbers()))
    if draw(st.booleans()):
        grid = {draw(GRID_KEYS): draw(st.one_of(st.lists(st.one_of(numbers(), wild()), max_size=4),
                                                 wild()))}
        if draw(st.integers(0, 5)) == 0:
            grid = {f"k{i}": list(range(draw(st.integers(10, 40)))) for i in range(6)}  # too many runs
        d[draw(st.sampled_from(["grid", "grids"]))] = grid if draw(st.booleans()) else {"s": grid}
    if draw(st.booleans()):
        d["scenario"] = draw(mutated_scenarios())
    if draw(st.integers(0, 3)) == 0:
        d["base"] = draw(st.one_of(TEXT, st.sampled_from(["no\nsuch.toml", str(SCENARIOS["two-tabs"]),
                                                          "", "."])))
    if draw(st.integers(0, 6)) == 0:
        set_path(d, draw(st.sampled_from(["name", "seeds", "grid", "scenario", "base", "extra"])), draw(wild()))
    return d


def sweep_property(tmp_path_factory, capsys, data) -> None:
    case = Case(tmp_path_factory.mktemp("sw"), "sweep.toml")
    case.input.write_text(to_toml(data), encoding="utf-8", errors="surrogatepass")
    try:
        sweep = load_sweep(case.input)
    except InputError as exc:
        assert "\n" not in str(exc)
        # the command line says the same in one line, exit 2, and creates nothing
        status, _out, err = case.run(capsys, "sweep", case.input, "--out", case.out, "--quiet")
        assert status == 2 and str(exc) in err and not case.out.exists()
        return
    assert 1 <= sweep.run_count <= 1_000_000  # a valid sweep is a known, bounded size (not run here)


@FAST
@given(sweep_tables())
def test_fuzz_sweeps(tmp_path_factory, capsys, data):
    sweep_property(tmp_path_factory, capsys, data)


@pytest.mark.slow
@SLOW
@given(sweep_tables())
def test_fuzz_sweeps_slow(tmp_path_factory, capsys, data):
    sweep_property(tmp_path_factory, capsys, data)


# --- traces --------------------------------------------------------------------------------------
_TRACES: dict[str, list[str]] = {}


def trace_lines(name: str) -> list[str]:
    """The trace lines of a built-in scenario run (recorded once per session)."""
    if name not in _TRACES:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "t.jsonl"
            simulate(load_scenario(SCENARIOS[name]), strategy="seed", trace_path=path)
            _TRACES[name] = path.read_text().splitlines()
    return _TRACES[name]


@st.composite
def mutated_traces(draw) -> bytes:
    lines = list(trace_lines(draw(st.sampled_from(["two-quick-sends", "assistant-typing",
                                                  "disconnect-resume-none"]))))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.integers(0, 9))
        if how <= 4 and not _is_record(lines[i]):
            how = 6  # an earlier mutation broke the line: cut it instead
        if how <= 3:  # a field set to something else
            rec = json.loads(lines[i])
            key = draw(st.sampled_from(sorted(rec) + ["extra"]))
            rec[key] = draw(st.one_of(wild(), numbers()))
            try:
                lines[i] = json.dumps(rec)
            except ValueError:
                lines[i] = lines[i].replace('"seq":', '"seq":' + huge_int(5000) + ',"x":', 1)
        elif how == 4:  # a field removed
            rec = json.loads(lines[i])
            rec.pop(draw(st.sampled_from(sorted(rec))))
            lines[i] = json.dumps(rec)
        elif how == 5:  # lines swapped, repeated or dropped
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            if draw(st.booleans()):
                lines.insert(j, lines[i])
            else:
                del lines[j]
        elif how == 6:  # cut mid-line
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif how == 7:  # deep nesting or a huge integer
            n = draw(st.integers(1, 3000))
            lines[i] = draw(st.sampled_from(["[" * n + "]" * n, '{"seq": ' + huge_int(n) + "}",
                                             lines[i][:-1] + ', "x": ' + "[" * n + "]" * n + "}"]))
        elif how == 8:  # garbage
            lines[i] = draw(st.sampled_from(["\x00\x0b\x0c", "\x1c\x1d", "NaN", "{}", "[]", "null", ""]))
        else:
            return draw(st.binary(max_size=300))
        if not lines:
            break
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def _is_record(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict) and bool(json.loads(line))
    except ValueError:
        return False


def trace_property(tmp_path_factory, capsys, data) -> None:
    case = Case(tmp_path_factory.mktemp("tr"), "t.jsonl")
    case.input.write_bytes(data)
    case.run(capsys, "check-trace", case.input)


@FAST
@given(mutated_traces())
def test_fuzz_traces(tmp_path_factory, capsys, data):
    trace_property(tmp_path_factory, capsys, data)


@pytest.mark.slow
@SLOW
@given(mutated_traces())
def test_fuzz_traces_slow(tmp_path_factory, capsys, data):
    trace_property(tmp_path_factory, capsys, data)


# --- counterexamples -----------------------------------------------------------------------------
def good_counterexample() -> dict:
    return {"ssesim": "counterexample", "version": 1,
            "scenario": str(SCENARIOS["error-after-commit"]), "strategy": "seed",
            "invariant": "no-ghost", "steps": [["send", 0], ["arrive", 0, "error_after_commit"],
                                               ["response", 0]], "labels": ["a", "b", "c"]}


STEP_KINDS = ["send", "arrive", "response", "timeout", "deliver", "drain", "retry", "assistant",
              "reconnect", "disconnect", "teleport"]


@st.composite
def mutated_counterexamples(draw) -> bytes:
    d = copy.deepcopy(good_counterexample())
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.integers(0, 5))
        if how <= 1:
            d[draw(st.sampled_from(sorted(d) + ["extra"]))] = draw(wild())
        elif how == 2:
            d["steps"] = draw(st.lists(st.lists(st.one_of(st.sampled_from(STEP_KINDS), st.integers(-1, 3),
                                                          st.sampled_from(["ok", "error_after_commit"]),
                                                          numbers()), max_size=4), max_size=6))
            d["labels"] = []
        elif how == 3:
            d["strategy"] = draw(st.sampled_from(["seed", "reconciled", "dual-write", "nope"]))
        elif how == 4:
            d["scenario"] = draw(st.sampled_from([str(SCENARIOS["two-tabs"]), "nowhere.toml",
                                                  str(SCENARIOS["old-stream-drains"])]))
        else:
            n = draw(st.integers(1, 3000))
            return ('{"ssesim": "counterexample", "steps": ' + "[" * n + "]" * n + ', "version": '
                    + huge_int(draw(st.integers(1, 6000))) + "}").encode()
    try:
        return json.dumps(d).encode("utf-8", "surrogatepass")
    except ValueError:
        return b'{"version": ' + huge_int(5000).encode() + b"}"


def counterexample_property(tmp_path_factory, capsys, data) -> None:
    case = Case(tmp_path_factory.mktemp("cx"), "cx.json")
    case.input.write_bytes(data)
    check_run(capsys, case)


@FAST
@given(mutated_counterexamples())
def test_fuzz_counterexamples(tmp_path_factory, capsys, data):
    counterexample_property(tmp_path_factory, capsys, data)


@pytest.mark.slow
@SLOW
@given(mutated_counterexamples())
def test_fuzz_counterexamples_slow(tmp_path_factory, capsys, data):
    counterexample_property(tmp_path_factory, capsys, data)


def test_the_fuzz_can_fail(tmp_path, capsys):
    """The property itself catches what it must: a traceback, two lines, a leftover temp file."""
    with pytest.raises(AssertionError):
        outcome_ok(1, "Traceback (most recent call last):\n")
    with pytest.raises(AssertionError):
        outcome_ok(2, "ssesim: error: a\nb\n")
    with pytest.raises(AssertionError):
        outcome_ok(3, "")
    (tmp_path / ".t.jsonl.abc").write_text("")
    assert leftovers(tmp_path) == [".t.jsonl.abc"]

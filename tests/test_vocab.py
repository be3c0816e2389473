"""The typed vocabulary (model/vocab.py), and every hand-inlined fast path against its plain reference.

The records are NamedTuples that equal (and hash as) the plain tuple of their fields, which the
explorer's state keys rely on. The simulator's ``apply`` inlines ``drive`` and its own driver
methods; ``World.sse_deliver`` and ``user_send`` inline ``_client``; ``Seed.on_event`` inlines
``replace_view``; ``draw_fault`` skips ``_fault_of`` above ``no_fault_from``. Each pair must agree.
"""

from __future__ import annotations

import random
import re
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.observe import Observer
from model.plugins import resolve_strategy
from model.strategies import BUILTIN, Seed, SessionView, Strategy, applied_sse, learn
from model.system import World
from model.vocab import (
    Apply,
    Event,
    Post,
    Push,
    Respond,
    Think,
    drive,
)
from simulations.engine import simulator
from simulations.engine.simulator import Simulator, _fault_of, no_fault_from
from simulations.io.scenario import builtin_scenarios, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]


class Recorder(Observer):
    """Every observation, in order, as (method, arguments)."""

    def __init__(self):
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("_") or name == "calls":
            return object.__getattribute__(self, name)
        calls = object.__getattribute__(self, "calls")
        return lambda *args: calls.append((name, args))


class PlainSimulator(Simulator):
    """The simulator with its reference decoding: ``drive`` and one method per driver effect."""

    def apply(self, t, effects):
        drive(self, t, effects)


class PlainWorld(World):
    """The World without its inlined fast paths: every strategy effect goes through ``_client``."""

    def user_send(self, t, client, content, spec=None):
        send = len(self.sends)
        self.sends.append((client, content))
        if spec is not None:
            self.send_specs[send] = spec
        self.obs.send(t, client, send, content)
        c = self.clients[client]
        return self._client(t, c, "send", c.strategy.on_send(t, send, content))

    def sse_deliver(self, t, client, conn, event):
        self.pending -= 1
        c = self.clients[client]
        c.last_version = event.version
        c.known[0], c.known[1] = learn(c.known[0], c.known[1], event.lo, event.hi)
        self.obs.deliver(t, client, conn, event.version)
        return self._client(t, c, "sse", c.strategy.on_event(t, event))


class PlainSeed(Seed):
    """The seed with its SSE handler written through the public helper."""

    def on_event(self, t, event):
        return [self.replace_view(event)]


def record(scenario, strategy_cls, seed, sim_cls=Simulator) -> tuple:
    obs = Recorder()
    sim = sim_cls(scenario, strategy_cls, random.Random(seed), obs)
    sim.run()
    return obs.calls, sim.events, sim.now


EXAMPLES = [load_scenario(p) for p in builtin_scenarios()]
IDS = [s.name for s in EXAMPLES]


@pytest.mark.parametrize("scenario", EXAMPLES, ids=IDS)
@pytest.mark.parametrize("strategy", list(BUILTIN))
def test_the_simulators_inlined_apply_agrees_with_drive(scenario, strategy):
    cls = BUILTIN[strategy]
    for seed in (1, 2):
        assert record(scenario, cls, seed) == record(scenario, cls, seed, PlainSimulator)


@pytest.mark.parametrize("scenario", EXAMPLES, ids=IDS)
@pytest.mark.parametrize("strategy", list(BUILTIN))
def test_the_worlds_fast_paths_agree_with_its_one_decoding(scenario, strategy, monkeypatch):
    cls = BUILTIN[strategy]
    fast = record(scenario, cls, 3)
    monkeypatch.setattr(simulator, "World", PlainWorld)
    assert record(scenario, cls, 3) == fast


@pytest.mark.parametrize("scenario", EXAMPLES, ids=IDS)
def test_the_seeds_inlined_sse_handler_agrees_with_replace_view(scenario):
    assert record(scenario, Seed, 4) == record(scenario, PlainSeed, 4)


events = st.builds(
    lambda session, version, lo, n, typing, processing, snapshot: Event(
        session, version, 0 if snapshot else lo, lo + n, typing, processing, snapshot),
    st.sampled_from(["s1", "s2"]), st.integers(0, 50), st.integers(0, 20), st.integers(0, 5),
    st.booleans(), st.booleans(), st.booleans())


@given(events, st.lists(st.integers(0, 9), max_size=3))
def test_seed_on_event_equals_replace_view_for_any_event(event, optimistic):
    fast, plain = (cls(0, None, None, 10) for cls in (Seed, PlainSeed))
    for s in (fast, plain):
        s.view = ((), tuple(optimistic), (False, False))
    assert fast.on_event(0.0, event) == plain.on_event(0.0, event) == [Apply(event.version, "sse")]
    assert fast.view == plain.view == (event.runs(), (), (event.typing, event.processing))


def test_the_cached_apply_record_is_the_plain_one():
    assert applied_sse(7) == Apply(7, "sse") and applied_sse(7) is applied_sse(7)


fault_tables = st.lists(st.tuples(st.sampled_from(["rejected", "request_lost", "response_lost"]),
                                  st.floats(0.0, 0.3)), max_size=3)


@given(fault_tables, st.floats(0.0, 1.0, exclude_max=True))
def test_draw_faults_shortcut_agrees_with_the_plain_loop(faults, u):
    faults = [(f, p) for f, p in faults if p > 0]
    data = {"post": {"faults": dict(faults)}, "sends": [{"content": "A"}]}
    sim = Simulator(parse_scenario(data, "<faults>"), Seed, random.Random(0), Observer())

    class Fixed:
        def random(self):
            return u

    sim.rng = Fixed()
    assert sim.draw_fault() == _fault_of(sim.faults, u)
    bound = no_fault_from(sim.faults)  # the least draw the plain loop maps to "ok"
    assert bound > 1.0 or _fault_of(sim.faults, bound) == "ok"


# --- the records ---------------------------------------------------------------------------------
def test_records_equal_and_hash_as_the_plain_tuple_of_their_fields():
    event = Event("s1", 3, 0, 2, True, False, True)
    assert event == ("s1", 3, 0, 2, True, False, True)
    assert hash(event) == hash(("s1", 3, 0, 2, True, False, True))
    assert tuple.__new__(Event, ("s1", 3, 0, 2, True, False, True)) == event
    assert event.runs() == (("s1", 0, 2),) and event.flags == (True, False)
    assert Event("s1", 3, 2, 2, False, False, False).runs() == ()
    assert Post(4, "A") == (4, "A", None, None)
    assert Push(event, ((0, 1),)) == (Push, event, ((0, 1),))  # a driver effect: a plain tuple
    with pytest.raises(TypeError, match=r"Push\(event, conns\) takes 2 fields, got 1"):
        Push(event)


def test_drive_refuses_what_is_not_a_driver_effect():
    with pytest.raises(TypeError, match="not a driver effect"):
        drive(None, 0.0, [("push", 0, 0, None)])
    seen = []

    class Driver:
        def think(self, t, session, delay, content):
            seen.append((t, session, delay, content))

        def respond(self, t, attempt, status, body):
            seen.append((t, attempt, status, body))

    drive(Driver(), 1.5, [Think("s1", 0.5, "A"), Respond(None, 200, None)])
    assert seen == [(1.5, "s1", 0.5, "A"), (1.5, None, 200, None)]


class Untyped(Seed):
    name = "untyped"

    def on_send(self, t, send, content):
        return [("post", send, content, None, None)]


def test_a_string_tagged_effect_is_refused_by_name():
    sim = Simulator(parse_scenario({"sends": [{"content": "A"}]}, "<untyped>"), Untyped, random.Random(1),
                    Observer())
    with pytest.raises(ValueError, match=r"returned \('post', 0, 'A', None, None\), not an effect of model.vocab"):
        sim.run()


def test_the_strategy_sees_its_session_read_only():
    world = World(parse_scenario({"sends": [{"content": "A"}]}, "<view>"), Seed, Observer())
    view = world.clients[0].strategy.session
    assert isinstance(view, SessionView) and view.name == "s1"
    assert view.index_of("c0-0") is None
    for internal in ("log", "by_cmid", "version", "streams"):
        assert not hasattr(view, internal)
    with pytest.raises(AttributeError):
        view.name = "other"


def test_reconciled_learns_its_messages_index_through_the_session_view():
    data = {"sends": [{"content": "A"}]}
    sim = Simulator(parse_scenario(data, "<ids>"), resolve_strategy("reconciled"), random.Random(1), Observer())
    sim.run()
    strategy = sim.world.clients[0].strategy
    assert strategy.session.index_of("c0-0") == 0
    assert strategy.session.message(0).content == "A"
    assert strategy.holds(0)


def test_the_base_strategy_does_nothing_and_reports_its_effects_typed():
    s = Strategy(0, None, None, 5)
    assert s.on_send(0.0, 0, "A") == [] and not s.has_pending()
    s.show_optimistic(0)
    assert s.rollback(0) == (0, ((), (0,), (False, False)), ((), (), (False, False)))


# --- the README's worked example ------------------------------------------------------------------
def test_the_readmes_plugin_example_is_the_tested_file():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Plug-in strategies"):]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    assert block in (ROOT / "tests" / "plugins" / "example.py").read_text()


# --- the nanosecond rounding ----------------------------------------------------------------------
def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_ns_is_round_to_the_nanosecond_bit_for_bit(t):
    assert _bits(simulator.ns(t)) == _bits(round(t * 1e9) / 1e9)


@pytest.mark.parametrize("x", [0.5, 1.5, 2.5, -0.5, -1.5, 0.49999999999999994, 2.0**51 - 0.5, 2.0**51 - 1.5,
                               2.0**51, 2.0**51 + 1, 2.0**52 + 1, -(2.0**51) + 0.5, -(2.0**51), 1e17, 0.0, -0.0])
def test_ns_at_ties_and_at_the_edges_of_the_float_arithmetic(x):
    t = x / 1e9
    assert _bits(simulator.ns(t)) == _bits(round(t * 1e9) / 1e9)

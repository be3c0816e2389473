"""The reference server speaks the seed's names too (SPEC §6.1): POST ``{message, session_id}``,
stream ``?session_id=``, states with ``isTyping``, ``isProcessing`` and messages with ``sender``,
``content`` and ``timestamp``; in ``serve`` as in lockstep (the virtual instant from 2000-01-01)."""

from __future__ import annotations

import asyncio
import json

from model.config import ServerConfig
from simulations.live import wire
from simulations.live.core import ServerCore
from tests.test_live_server import FixedClock, serving


def test_the_seeds_post_body_and_stream_query_work_and_states_carry_its_names():
    async def go():
        core = ServerCore(ServerConfig(), driver=FixedClock(now=1.5))
        async with serving(core) as http, http.stream("GET", wire.STREAM, params={"session_id": "s9"}) as r:
            assert r.status_code == 200
            answer = await http.post(wire.CHAT, json={"message": "hello", "session_id": "s9"})
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    return answer, json.loads(line[6:])
    answer, event = asyncio.run(go())
    assert answer.status_code == 200
    for state in (answer.json(), event):
        assert state["session"] == "s9" and state["isTyping"] is False and state["isProcessing"] is False
        (m,) = state["messages"]
        assert (m["sender"], m["content"], m["timestamp"]) == ("user", "hello", "1970-01-01T00:00:01.500Z")


def test_a_seed_body_without_a_message_is_refused_naming_the_seeds_key():
    async def go():
        async with serving(ServerCore()) as http:
            return await http.post(wire.CHAT, json={"session_id": "s1"})
    r = asyncio.run(go())
    assert r.status_code == 422 and r.json() == {"error": "message must be a string"}


def test_lockstep_timestamps_are_the_virtual_instant_from_2000():
    assert wire.timestamp(wire.EPOCH + 0.25) == "2000-01-01T00:00:00.250Z"


def test_live_target_wire_seed_holds_a_server_built_for_the_seeds_client(tmp_path):
    """``--wire seed``: POST {message, session_id}, ?session_id=, states read by the seed's names,
    no versions or ids (commits inferred from the wire); against ``ssesim serve`` in another process."""
    from simulations.engine.simulator import simulate
    from simulations.io.scenario import load_scenario
    from tests.test_live_target import LOST_EVENT, live, server, violated

    path = tmp_path / "lost-event.toml"
    path.write_text(LOST_EVENT)
    with server(["-m", "simulations", "serve", "--scenario", str(path)]) as url:
        got = live(path, url, "--strategy", "seed", "--wire", "seed")
    sim = simulate(load_scenario(path), strategy="seed")
    assert violated(got["violations"]) == violated(sim.violations) == set()
    assert got["committed"] == sim.committed == 2 and got["live"]["wire"] == "seed"


def test_wire_seed_needs_a_target(capsys):
    from simulations.cli import main
    from simulations.io.scenario import builtin_scenarios

    assert main(["live", str(builtin_scenarios()[0]), "--wire", "seed"]) == 2
    assert "--wire: seed needs --target" in capsys.readouterr().err


def test_states_in_the_seeds_names_take_their_sse_id_else_a_number_per_new_state():
    versions = wire.SeedVersions()
    state = {"messages": [{"sender": "user", "content": "A"}], "isTyping": True}
    first, msgs = versions.decode(state, "s1", "here")
    assert (first.version, first.hi, first.typing, msgs[0].content) == (1, 1, True, "A")
    assert versions.decode(state, "s1", "here")[0].version == 1  # seen before: the same number
    assert versions.decode({"messages": []}, "s1", "here")[0].version == 2
    assert versions.decode({"messages": []}, "s1", "here", "7")[0].version == 7

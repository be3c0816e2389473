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

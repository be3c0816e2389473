"""The reference server over real HTTP: SPEC §2's rules, status codes, SSE resume, the OpenAPI document.

Every test starts the ASGI app with uvicorn on a free loopback port and talks to it with httpx.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

import httpx
import pytest
from httpx_sse import EventSource

from model.config import Dist, ServerConfig, SseConfig
from model.system import STATUS
from simulations.cli import main
from simulations.live.app import create_app
from simulations.live.core import Driver, ServerCore
from simulations.live.embed import Embedded

COMMITS = {"ok": True, "rejected": False, "error_before_commit": False, "error_after_commit": True,
           "response_lost": True, "accepted_dropped": False}


class FixedClock(Driver):
    def __init__(self, now: float = 100.0, time_scale: float = 1.0):
        super().__init__(time_scale)
        self.t = now

    def now(self) -> float:
        return self.t


@asynccontextmanager
async def serving(core: ServerCore):
    server = Embedded(create_app(core))
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            yield http
    finally:
        await server.stop()


async def events(http: httpx.AsyncClient, n: int, *, headers=None, params=None, then=None,
                 wait: float = 0.3) -> list[dict]:
    """The first ``n`` events of a new stream (fewer if none come for ``wait`` s); ``then()`` runs once
    the stream is open."""
    got = []
    async with http.stream("GET", "/api/chat/stream", params={"session": "s1", **(params or {})},
                           headers=headers or {}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        if then is not None:
            await then()
        it = EventSource(r).aiter_sse()
        while len(got) < n:
            try:
                sse = await asyncio.wait_for(it.__anext__(), wait)
            except TimeoutError:
                break
            data = json.loads(sse.data)
            assert int(sse.id) == data["version"]
            got.append(data)
    return got


def post(http, content="A", headers=None, **body):
    return http.post("/api/chat", json={"session": "s1", "content": content, **body}, headers=headers or {})


@pytest.mark.parametrize("fault", sorted(COMMITS))
def test_each_fault_answers_and_commits_as_the_fault_table_says(fault):
    async def go():
        core = ServerCore()
        async with serving(core) as http:
            try:
                r = await post(http, headers={"x-ssesim-fault": fault})
                answered = r.status_code, r.json()["outcome"]
            except httpx.RemoteProtocolError:
                answered = None
            return answered, len(core.sessions["s1"].log)

    answered, committed = asyncio.run(go())
    if fault == "response_lost":
        assert answered is None  # the connection died without an answer
    else:
        assert answered == (STATUS[fault], fault)
    assert committed == (1 if COMMITS[fault] else 0)


def test_idempotency_is_checked_before_the_fault():
    async def go():
        core = ServerCore()
        async with serving(core) as http:
            first = await post(http, client_message_id="c0-0")
            again = await post(http, client_message_id="c0-0", headers={"x-ssesim-fault": "rejected"})
            return first.json(), again.status_code, again.json(), core.sessions["s1"].version

    first, status, again, version = asyncio.run(go())
    assert (status, again["outcome"], version) == (200, "duplicate", 1)
    assert first["messages"][0]["client_message_id"] == "c0-0" and again["count"] == 1


@pytest.mark.parametrize("deadline, outcome", [(99.5, "expired"), (100.0, "ok"), (101, "ok")])
def test_an_attempt_commits_at_or_before_its_deadline_only(deadline, outcome):
    async def go():
        async with serving(ServerCore(driver=FixedClock(100.0))) as http:
            r = await post(http, deadline=deadline)
            return r.status_code, r.json()["outcome"]

    assert asyncio.run(go()) == (STATUS[outcome], outcome)


@pytest.mark.parametrize("body, status", [
    ({"session": "s1", "content": ""}, 400),
    ({"session": "s1", "content": "x" * 6}, 400),
    ({"session": "s1", "content": 3}, 422),
    ({"content": "A"}, 422),
    ({"session": "s1", "content": "A", "deadline": "soon"}, 422),
])
def test_invalid_and_malformed_posts_commit_nothing(body, status):
    async def go():
        core = ServerCore(ServerConfig(max_message_length=5))
        async with serving(core) as http:
            r = await http.post("/api/chat", json=body)
            bad = await http.post("/api/chat", content=b"{not json", headers={"content-type": "application/json"})
            return r.status_code, bad.status_code, sum(len(s.log) for s in core.sessions.values())

    assert asyncio.run(go()) == (status, 422, 0)


def test_a_first_connection_gets_nothing_then_every_change_with_id_the_version():
    async def go():
        async with serving(ServerCore()) as http:
            async def two_posts():
                await post(http, "A")
                await post(http, "B")
            return await events(http, 3, then=two_posts)

    got = asyncio.run(go())
    assert [e["version"] for e in got] == [1, 2]
    assert [m["content"] for m in got[1]["messages"]] == ["A", "B"] and got[1]["payload"] == "snapshot"


@pytest.mark.parametrize("resume, payload, expected", [
    ("snapshot", "snapshot", [(3, 0, 3)]),
    ("last-event-id", "snapshot", [(2, 0, 2), (3, 0, 3)]),
    ("last-event-id", "delta", [(2, 1, 2), (3, 2, 3)]),
    ("none", "delta", []),
])
def test_a_reconnection_resumes_per_the_servers_policy(resume, payload, expected):
    async def go():
        async with serving(ServerCore(sse=SseConfig(resume=resume, payload=payload))) as http:
            for content in "ABC":
                await post(http, content)
            replay = await events(http, 5, headers={"last-event-id": "1"})
            asked = await events(http, 5, headers={"last-event-id": "1"}, params={"snapshot": "1"})
            return replay, asked

    replay, asked = asyncio.run(go())
    assert [(e["version"], e["count"] - len(e["messages"]), e["count"]) for e in replay] == expected
    assert [(e["version"], e["payload"], e["count"]) for e in asked] == [(3, "snapshot", 3)]


def test_the_assistant_sets_its_flags_then_replies():
    async def go():
        core = ServerCore(ServerConfig(assistant=True, think_delay=Dist("constant", value=0.5),
                                       reply_delay=Dist("constant", value=1.0)),
                          driver=Driver(time_scale=0.02))
        async with serving(core) as http:
            return await events(http, 3, then=lambda: post(http, "A"), wait=1.0)

    got = asyncio.run(go())
    assert [(e["version"], e["is_typing"], e["is_processing"], e["count"]) for e in got] == [
        (1, False, False, 1), (2, True, True, 1), (3, False, False, 2)]
    reply = dict(got[2]["messages"][1])
    assert reply.pop("timestamp").endswith("Z")
    assert reply == {"index": 1, "sender": "assistant", "content": "re: A",
                     "client_message_id": None, "send": None}


def test_the_openapi_document_describes_what_the_server_sends():
    async def go():
        async with serving(ServerCore()) as http:
            doc = (await http.get("/openapi.json")).json()
            answer = (await post(http, "A", headers={"x-ssesim-send": "0"})).json()
            event = (await events(http, 1, params={"snapshot": "1"}))[0]
            return doc, answer, event

    doc, answer, event = asyncio.run(go())
    assert doc["openapi"].startswith("3.1") and set(doc["paths"]) == {"/api/chat", "/api/chat/stream"}
    state = doc["components"]["schemas"]["State"]
    message = doc["components"]["schemas"]["Message"]
    for obj in (answer, event):
        assert set(state["required"]) <= set(obj) and set(obj) <= set(state["properties"])
        for m in obj["messages"]:
            assert set(message["required"]) <= set(m) and set(m) <= set(message["properties"])
    assert answer["messages"][0]["send"] == 0
    documented = {int(code) for code in doc["paths"]["/api/chat"]["post"]["responses"]}
    assert set(STATUS.values()) <= documented


@pytest.mark.parametrize("argv, where", [(["--port", "70000"], "--port"),
                                         (["--scenario", "nowhere.toml"], "nowhere.toml"),
                                         (["--time-scale", "0"], "--time-scale")])
def test_serve_bad_arguments_are_one_line_and_exit_2(argv, where, capsys):
    assert main(["serve"] + argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and where in err

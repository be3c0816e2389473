"""A counterexample of ``ssesim explore --counterexamples`` replayed in the browser.

A counterexample is untimed: a list of the explorer's actions (``send``, ``arrive i fault``,
``response i``, ``timeout``, ``deliver``, ``retry``, ``assistant``, ``reconnect``, ``refuse``,
``disconnect``). ``ReplayConductor`` takes them in that order instead of the schedule's clock, each
step doing what the browser conductor does for it (the same boundary, the same held streams), with
the explorer's bookkeeping: requests and responses in the order they were made, taken by their index;
an attempt that carries a deadline and timed out never arrives (the untimed rule, SPEC §1); ``t``
counts steps, as in the explorer's replay. A client module that does what the strategy the
counterexample was found with does reproduces its invariant; another may take a different path:
as ``ssesim run FILE --strategy S``, the replay stops at the first step not enabled for it.
"""

from __future__ import annotations

from model.system import TIMED_OUT
from model.vocab import AWAITING, Attempt, Backoff, Dropped, Reconnect, Reply, Think
from simulations.browser.conductor import BrowserConductor
from simulations.live.schedule import (
    DELIVER,
    DISCONNECT,
    RECONNECT,
    REPLY,
    RESPONSE,
    RETRY,
    THINK,
    TIMEOUT,
    Answered,
    Pushed,
)


class ReplayConductor(BrowserConductor):
    """The browser conductor driven by a counterexample's actions."""

    def __init__(self, scenario, rng, obs, steps, where: str, **kwargs):
        self.requests: list = []
        self.responses: list = []
        self.deliveries: dict[tuple[int, int], list[int]] = {}
        self.assistant: list = []
        self.reconnects: list[int] = []
        self.forced: bool | None = None
        self.blocked: tuple | None = None  # (step number, action) of the first step not enabled
        self.actions, self.where = [tuple(s) for s in steps], where
        super().__init__(scenario, rng, obs, **kwargs)
        self.heap = []  # the schedule's own clock is not used: the actions say what comes next

    def apply(self, t: float, effects) -> None:
        for e in effects:
            kind = type(e)
            if kind is tuple:
                kind = e[0]
            if kind is Pushed:
                self.deliveries.setdefault((e.client, e.conn), []).append(e.version)
            elif kind is Answered:
                self.responses.append((e.attempt, e.answer))
            elif kind is Attempt:
                self.obs.post(t, e.client, e.send, e.n, e.fault or "?")
                self.requests.append(e)
            elif kind is Think:
                self.assistant.append((THINK, e[1], e[3]))
            elif kind is Reply:
                self.assistant.append((REPLY, e[1], e[2]))
            elif kind is Backoff:
                pass  # the counterexample says when the retry comes
            elif kind is Reconnect:
                self.reconnects.append(e[1])
            elif kind is Dropped:
                _, client, conn = e
                lost = self.deliveries.pop((client, conn), [])
                for version in lost:
                    self._take(client, conn, version)
                self.side.pending -= len(lost)
                self.cut(client, conn)
            else:
                raise AssertionError(e)

    def draw_refused(self, client: int) -> bool:
        return self.side.refuses(client) or bool(self.forced)

    async def run(self) -> None:
        side = self.side
        sends = self.scenario.sends
        next_send = 0
        for depth, action in enumerate(self.actions, 1):
            t = self.now = float(depth)
            self.steps += 1
            try:
                effects, next_send = await self._action(t, action, next_send)
            except (IndexError, KeyError, ValueError):  # not enabled: this client took another path
                self.steps -= 1
                self.blocked = (depth, action)
                break
            self.apply(t, effects)
            self._collect()
            if not side.pending and side.quiescent():
                if not self.was_quiet:
                    self.obs.quiescent(t)
                self.was_quiet = True
                if next_send >= len(sends):
                    self._end(t, True)
                    return
            else:
                self.was_quiet = False
        self._end(self.now, False)

    async def _action(self, t: float, action: tuple, next_send: int):
        kind = action[0]
        if kind == "send":
            spec = self.scenario.sends[action[1]]
            return await self._send(t, spec.client, spec.content, spec), next_send + 1
        if kind == "arrive":
            a = self.requests.pop(action[1])
            a.fault = action[2]
            return await self._arrive(t, a), next_send
        if kind == "response":
            a, answer = self.responses.pop(action[1])
            return await self.step(t, RESPONSE, a, answer, None), next_send
        if kind == "timeout":
            a = self.side.clients[action[1]].outstanding[action[2]]
            return await self.step(t, TIMEOUT, a, None, None), next_send
        if kind == "deliver":
            version = self.deliveries[(action[1], action[2])].pop(0)
            return await self.step(t, DELIVER, action[1], action[2], [version, None, None]), next_send
        if kind == "retry":
            return await self.step(t, RETRY, action[1], action[2], None), next_send
        if kind == "assistant":
            what, session, content = self.assistant.pop(action[1])
            return await self.step(t, what, session, content, None), next_send
        if kind in ("reconnect", "refuse"):
            self.reconnects.remove(action[1])
            self.forced = kind == "refuse"
            return await self.step(t, RECONNECT, action[1], None, None), next_send
        if kind == "disconnect":
            return await self.step(t, DISCONNECT, action[1], 0, None), next_send
        raise ValueError(kind)  # "drain": not realizable by one native EventSource

    def _collect(self) -> None:
        """The explorer's: a response nobody awaits goes; a deadline attempt that timed out never
        arrives (its request is no longer pending)."""
        self.responses = [r for r in self.responses if r[0].state == AWAITING]
        dead = [a for a in self.requests if a.deadline is not None and a.state == TIMED_OUT]
        if dead:
            self.requests = [a for a in self.requests if a not in dead]
            self.side.pending -= len(dead)

"""Session-level persistent sets: after the last scripted input, one session's steps at a time.

**When.** A state is *after the inputs* when no scripted send is left (``next_send`` at the end), no
disconnect can come (``[explore].max_disconnects`` spent), no reconnect can be refused
(``[explore].max_refusals`` spent) and no timeout budget is shared (``[explore].max_timeouts`` absent,
or spent). Every step there belongs to one session: a POST's arrival or the assistant to the session's
server, a response, timeout, retry, SSE delivery, drain or reconnect to a client, hence to its session.
Those conditions only ever stay true along a path (budgets and the send counter only grow), so every
successor of such a state is after the inputs too.

**Why one session's steps form a persistent set.** Two steps of different sessions read and write
disjoint parts of the state (a session's log, flags and streams, its clients' strategies, views,
outstanding requests, timers and queues, and the checkers' entries of that session's clients and
sends), and add only work of their own session; the shared counters they touch (``World.pending``,
``Net.requests`` as a multiset, the metrics) commute. So in either order they reach the same state
with the same checker observations, and neither enables nor disables the other: they are independent
(the relation the sleep sets use, ``reduction.independent``; a client's view only ever holds its own
session's messages, the events it is sent). A step of another session therefore never enables,
disables or interferes with a step of session S, and S's enabled steps ``T`` are a persistent set
(Godefroid's condition C1): on any path from the state that takes no step of ``T``, every step is of
another session, independent of ``T``. The quiescence checks (``convergence``, ``no-silent-loss``,
``no-orphan``'s leftovers) are the one observation that reads every session; after the inputs the
system becomes quiescent only when no step at all is enabled (``Model.advance`` ends the run then),
i.e. at a terminal state, which the selective search reaches as the full one does (below).

**Which session.** The first, in a fixed order, that has an enabled step: fewer scripted sends first,
then the name (the spike of ``shared/notes/explorer-speed.md``: that order completed ``two-sessions``
under ``seed-retry``, the other did not). A session blocked (no enabled step) stays blocked, because
no other session's step enables one of its steps; so every explored path after the inputs takes the
sessions' steps in blocks, in that order. With ``ok`` among the faults (``reduction.applicable``) every
state can reach a terminal state, so each session can reach a state where it is blocked (the steps of
that session on a path to a terminal state, taken alone), and the selective search is not stuck in one
session (the cycle proviso's role): from every state after the inputs, every terminal state the full
graph reaches is reached, and a step of session S that breaks an invariant is taken after the
sessions before S in the order have blocked.

**Counterexample lengths.** A step of session S breaks an invariant because of S's part of the state
only (its checks read its client's view, its session's mirror and its sends), so on a path the steps
of the other sessions after the inputs are not needed: they commute past it and are dropped. The
reported counterexample is the found path without them (``project``), so it replays in the full
model; its length is ``base + 1``, where a state's ``base`` is its depth less the steps of the
sessions before the current one taken after the inputs. A state keeps the smallest ``base`` met, and
is expanded again when met with a smaller one (with that path's own sleep set), so no shorter
counterexample is missed; the shortest over every path found is reported. A count raised by the
quiescence checks at a terminal state needs every session's steps: its length is the depth (the
explorer tells the two apart with ``Model.settling``). Sleep sets still apply inside the current
session (two of its clients' steps); the selective graph's persistent set at ``s·z`` still holds the
step ``t`` that put ``z`` to sleep (the current session does not change while it has a step), so the
sleep sets keep every state of the selective graph at its depth there. ``tests/test_sessions.py``
checks verdicts and shortest lengths against the full search on every example and on generated
two-session scenarios, and replays every reported counterexample.
"""

from __future__ import annotations

from simulations.explore.reduction import applicable


class SessionSets:
    """The order of one exploration's sessions and the persistent set of a state after the inputs."""

    __slots__ = ("last", "model", "ranks", "session_rank")

    def __init__(self, model):
        self.model = model
        scenario = model.scenario
        names = [cc.session for cc in scenario.clients]
        sends = dict.fromkeys(names, 0)
        for spec in scenario.sends:
            sends[names[spec.client]] += 1
        order = sorted(sends, key=lambda name: (sends[name], name))
        self.session_rank = {name: r for r, name in enumerate(order)}
        self.ranks = [self.session_rank[name] for name in names]  # client -> its session's rank
        self.last = len(order) - 1

    @staticmethod
    def applies(model) -> bool:
        """Two sessions or more, and every state can reach a terminal state (``ok`` is a fault)."""
        return len({cc.session for cc in model.scenario.clients}) > 1 and applicable(model)

    def after_inputs(self, node) -> bool:
        """No send, disconnect, refusal or shared timeout can come any more (see the module)."""
        net, model = node.net, self.model
        return (net.next_send >= len(model.sends) and net.disconnects >= model.max_disconnects
                and net.refusals >= model.max_refusals
                and (model.max_timeouts is None or net.timeouts >= model.max_timeouts))

    def rank_of(self, node, action) -> int:
        """The rank of the session that ``action`` belongs to (a step after the inputs)."""
        kind = action[0]
        if kind == "arrive":
            return self.ranks[node.net.requests[action[1]].client]
        if kind == "response":
            return self.ranks[node.net.responses[action[1]][0].client]
        if kind == "assistant":
            return self.session_rank[node.net.assistant[action[1]][1]]
        return self.ranks[action[1]]

    def select(self, node, acts: list) -> tuple[list, int]:
        """The steps of the first session in the order that has one, and that session's rank."""
        if not acts:
            return acts, self.last
        ranks = [self.rank_of(node, a) for a in acts]
        first = min(ranks)
        if first == max(ranks):
            return acts, first
        return [a for a, r in zip(acts, ranks) if r == first], first

    def still_enabled(self, node, rank: int) -> bool:
        """Session ``rank`` has an enabled step at ``node`` (after the inputs)."""
        if rank == self.last:
            return True  # no session comes after it: it stays the current one while any step is left
        return any(self.rank_of(node, a) == rank for a in self.model.actions(node))


def project(model, sets: SessionSets, actions: list, pre: int, rank: int) -> list:
    """``actions`` without the steps after the first ``pre`` that belong to a session other than
    ``rank``'s: they commute past the rest, so the result replays in the full model. A kept step
    that names work in flight by its place in a list is renamed to that work's place on the
    projected path (the dropped steps' work is not there)."""
    node = model.initial()
    for action in actions[:pre]:
        node = model.step(node, action)
    out = list(actions[:pre])
    mine = node.clone()  # the projected path's state; ``node`` follows the found path
    mine.depth = node.depth
    for action in actions[pre:]:
        if sets.rank_of(node, action) == rank:
            kept = _rename(node, action, mine)
            out.append(kept)
            mine = model.step(mine, kept)
        node = model.step(node, action)
    return out


def _rename(node, action, other) -> tuple:
    """The step of ``other`` that takes the same work in flight as ``action`` does at ``node``."""
    kind = action[0]
    if kind == "arrive":
        a = node.net.requests[action[1]]
        return (kind, _place(other.net.requests, (a.client, a.send, a.n), _attempt), action[2])
    if kind == "response":
        a, status, _body = node.net.responses[action[1]]
        return (kind, _place(other.net.responses, (a.client, a.send, a.n, status), _answer))
    if kind == "assistant":
        return (kind, _place(other.net.assistant, node.net.assistant[action[1]], tuple))
    return action


def _attempt(a) -> tuple:
    return (a.client, a.send, a.n)


def _answer(r) -> tuple:
    return (r[0].client, r[0].send, r[0].n, r[1])


def _place(items: list, name, naming) -> int:
    for i, item in enumerate(items):
        if naming(item) == name:
            return i
    raise AssertionError(f"{name} is not in flight on the projected path")

"""Partial-order reduction for the explorer: persistent sets made of one client's enabled steps.

At a state, the steps of client c (its SSE deliveries, responses, timeouts, retries, reconnect) may be
explored alone when no step outside c can, before one of them runs, become dependent on them:
c has no scripted send left and cannot be disconnected; no reconnect can be refused
(``[explore].max_refusals`` spent, or nobody left to reconnect); no request of c that c still awaits is in
flight (its response would be a new step of c); if c's live stream is empty, nothing in c's session
can push to it; and the steps of c cannot by themselves end the run while inputs remain (quiescence
is observed). Such a set is persistent (Godefroid's condition C1), and a selective search over
persistent sets reaches every terminal state of the full graph. Violation counts only grow and every
state can reach a terminal state when ``ok`` is among the explored faults, so an invariant is
violated in the reduced graph exactly when it is in the full one. Counterexamples stay valid but may
be longer than the shortest; ``tests/test_reduction.py`` checks the verdicts on every example scenario.
Ample sets run with ``explore(..., ample=True)``; ``reduction=True`` is the sleep sets below, which
keep every state and the shortest counterexamples, and the session sets of
``simulations.explore.sessions``, which after the last input skip states but keep the shortest
counterexample lengths.
"""

from __future__ import annotations

from model.strategies import Strategy
from model.vocab import AWAITING

CLIENT_STEPS = frozenset(("deliver", "drain", "response", "timeout", "retry", "reconnect"))
INPUTS = frozenset(("send", "disconnect"))


def applicable(model) -> bool:
    """Every state can reach a terminal state only if a POST can succeed."""
    return "ok" in model.faults


def ample(model, node, acts: list) -> list:
    """A persistent subset of ``acts`` (all of them when no client's steps qualify)."""
    if len(acts) < 2:
        return acts
    net = node.net
    groups: dict[int, list] = {}
    outside_work = False
    for a in acts:
        kind = a[0]
        if kind in CLIENT_STEPS:
            c = net.responses[a[1]][0].client if kind == "response" else a[1]
            groups.setdefault(c, []).append(a)
        elif kind not in INPUTS:
            outside_work = True
    if not groups or (len(groups) == 1 and len(next(iter(groups.values()))) == len(acts)):
        return acts
    remaining = model.sends[net.next_send:]
    world = node.world
    can_disconnect = net.disconnects < model.max_disconnects
    if net.refusals < model.max_refusals and (net.reconnecting or can_disconnect):
        return acts  # a refusal may still come: it shares one budget and conflicts with a reconnect
    inputs_remain = bool(remaining) or (can_disconnect and any(c.connected for c in world.clients))
    # Under [explore].max_timeouts the clients' timeouts share one budget: a timeout of c may disable
    # another client's, so a set holding one is persistent only while no other client exists.
    budget = (model.max_timeouts is not None and net.timeouts < model.max_timeouts
              and len(world.clients) > 1)
    for c in sorted(groups):
        group = groups[c]
        others_work = outside_work or len(groups) > 1
        if inputs_remain and not others_work:
            continue
        if budget and any(a[0] == "timeout" for a in group):
            continue
        if _persistent(model, node, c, remaining, can_disconnect):
            return group
    for session in sorted(world.sessions):
        group = [a for a in acts if _server_step_of(node, a) == session]
        if not group or len(group) == len(acts):
            continue
        if inputs_remain and not any(a[0] not in INPUTS and a not in group for a in acts):
            continue
        if _server_persistent(model, node, world.sessions[session], remaining, can_disconnect):
            return group
    return acts


def _server_step_of(node, action) -> str | None:
    """The session whose server (or assistant) takes ``action``, if it is a server step."""
    if action[0] == "arrive":
        return node.world.clients[node.net.requests[action[1]].client].session.name
    if action[0] == "assistant":
        return node.net.assistant[action[1]][1]
    return None


def _server_persistent(model, node, session, remaining, can_disconnect: bool) -> bool:
    """The session's server steps commute with everything that can happen before them.

    No new request can appear in the session (no scripted send left, no retry armed or possible, no
    queued send), no client of the session is reconnecting (a new stream's first event depends on
    the order), a push is not drained from a stream that may still drop, and no request that carries
    a deadline races its own timeout (the untimed expiry rule couples the two).
    """
    net, world = node.net, node.world
    members = set(session.clients)
    if any(spec.client in members for spec in remaining):
        return False
    if any(c in members for c in net.reconnecting):
        return False
    if model.scenario.sse.old_stream_drains and can_disconnect:
        return False
    for d in session.clients:
        client = world.clients[d]
        strategy = client.strategy
        if strategy.has_pending() or any(k[0] == d for k in world.timers):
            return False
        if type(strategy).on_retry is not Strategy.on_retry and client.outstanding:
            return False
        if (type(strategy).on_close is not Strategy.on_close
                or type(strategy).on_open is not Strategy.on_open):
            return False
    return not any(a.client in members and a.deadline is not None and a.state == AWAITING
                   for a in net.requests)


def _persistent(model, node, c: int, remaining, can_disconnect: bool) -> bool:
    net, world = node.net, node.world
    client = world.clients[c]
    if any(spec.client == c for spec in remaining):
        return False
    if client.connected and can_disconnect:
        return False
    if any(a.client == c and a.state == AWAITING for a in net.requests):
        return False
    if client.connected and not net.sse.get((c, client.conn)):
        return _session_quiet(node, client, remaining)
    return True


def _session_quiet(node, client, remaining) -> bool:
    """Nothing in the client's session can commit or change flags (so nothing can be pushed)."""
    net, world = node.net, node.world
    session = client.session
    members = set(session.clients)
    if any(spec.client in members for spec in remaining):
        return False
    if any(a.client in members for a in net.requests):
        return False
    if any(entry[1] == session.name for entry in net.assistant):
        return False
    for d in session.clients:
        if d == client.index:
            continue
        other = world.clients[d]
        if other.outstanding or other.strategy.has_pending():
            return False
        if any(k[0] == d for k in world.timers):
            return False
    return True


# Sleep sets (Godefroid): the steps a state need not take because an explored sibling path already
# took them first. A step belongs to a client (its SSE deliveries, responses, timeouts, retries) or
# to a session's server (a POST's arrival, the assistant). Two steps are independent when they belong
# to two clients, or one to a client and the other to the server of another session, or to the
# servers of two sessions: each reads and writes only its own part (a client's strategy, view,
# outstanding requests, timers and stream; a session's log, flags and streams, and the checkers'
# mirror of it) and adds only work of that part, so in either order they reach the same state with
# the same checker observations, and neither disables the other. Sends, disconnects and reconnects
# never sleep (they are dependent on everything). ``tests/test_reduction.py`` checks that every
# state is still visited at its depth, with the same verdicts and counterexample lengths.
SLEEPY = frozenset(("deliver", "drain", "response", "timeout", "retry", "arrive", "assistant"))
NO_SLEEP: frozenset = frozenset()


def idents(node, acts: list, budgeted: bool = False) -> list:
    """For each step of ``acts``, ``(name, client, session)``: a name that stays the same in the
    states after an independent step and is made of keyed fields only, so that states with one key
    name their steps alike (a response or an arrival is named by its client, send and status or
    fault, not by its index in flight nor its attempt number), the client it belongs to (None for a
    server step) and that client's or server's session; None for a step that never sleeps, or whose
    name would not single it out. ``budgeted``: the timeouts share a budget
    (``[explore].max_timeouts``), so one client's timeout may disable another's: they never sleep."""
    world, net = node.world, node.net
    out: list = []
    for a in acts:
        kind = a[0]
        if kind not in SLEEPY or (budgeted and kind == "timeout"):
            out.append(None)
        elif kind == "response":
            attempt, status, _body = net.responses[a[1]]
            c = attempt.client
            out.append((("response", c, attempt.send, status), c, world.clients[c].session.name))
        elif kind == "arrive":
            attempt = net.requests[a[1]]
            c = attempt.client
            out.append((("arrive", c, attempt.send, a[2]), None, world.clients[c].session.name))
        elif kind == "assistant":
            what, session, content = net.assistant[a[1]]
            out.append((("assistant", what, session, content), None, session))
        else:
            out.append((a, a[1], world.clients[a[1]].session.name))
    named = [i for i in out if i is not None]
    if len(set(named)) != len(named):  # two steps with one name: neither may sleep
        out = [None if i is not None and named.count(i) > 1 else i for i in out]
    return out


def independent(asleep: tuple, taken) -> bool:
    """The step named ``asleep`` commutes with the step named ``taken`` (see above)."""
    if taken is None:
        return False
    if asleep[1] is not None and taken[1] is not None:
        return asleep[1] != taken[1]
    return asleep[2] != taken[2]

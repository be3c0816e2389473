"""Partial-order reduction for the explorer: persistent sets made of one client's enabled steps.

At a state, the steps of client c (its SSE deliveries, responses, timeouts, retries, reconnect) may be
explored alone when no step outside c can, before one of them runs, become dependent on them:
c has no scripted send left and cannot be disconnected; no request of c that c still awaits is in
flight (its response would be a new step of c); if c's live stream is empty, nothing in c's session
can push to it; and the steps of c cannot by themselves end the run while inputs remain (quiescence
is observed). Such a set is persistent (Godefroid's condition C1), and a selective search over
persistent sets reaches every terminal state of the full graph. Violation counts only grow and every
state can reach a terminal state when ``ok`` is among the explored faults, so an invariant is
violated in the reduced graph exactly when it is in the full one. Counterexamples stay valid but may
be longer than the shortest; ``tests/test_reduction.py`` checks the verdicts on every example scenario.
"""

from __future__ import annotations

from model.system import AWAITING

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
    inputs_remain = bool(remaining) or (can_disconnect and any(c.connected for c in world.clients))
    for c in sorted(groups):
        group = groups[c]
        others_work = outside_work or len(groups) > 1
        if inputs_remain and not others_work:
            continue
        if _persistent(model, node, c, remaining, can_disconnect):
            return group
    return acts


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

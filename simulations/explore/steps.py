"""Paths through the explorer's transition system (``transitions.Model``): replaying one, and
one readable line per step."""

from __future__ import annotations

# ``model`` is a ``transitions.Model`` and ``node`` a ``transitions.Node``; transitions imports this
# module, so they are not named here.


def replay(model, actions: list):
    """Run ``actions`` from the initial state; raise ValueError if one is not enabled."""
    node = model.initial()
    for i, action in enumerate(actions):
        action = tuple(action)
        if action not in model.actions(node):
            raise ValueError(f"step {i + 1} {list(action)} is not enabled there")
        node = model.step(node, action)
    return node


def describe_path(model, actions: list) -> list[str]:
    """Readable one-line steps for a path, computed by replaying it."""
    node = model.initial()
    out = []
    for action in actions:
        out.append(describe(model, node, tuple(action)))
        node = model.step(node, tuple(action))
    return out


def describe(model, node, action: tuple) -> str:
    world, net = node.world, node.net
    kind = action[0]
    if kind == "send":
        spec = model.sends[action[1]]
        return f"user of client {spec.client} sends {spec.content!r} (send {action[1]})"
    if kind == "arrive":
        a = net.requests[action[1]]
        content = world.sends[a.send][1]
        return f"POST {content!r} (send {a.send}, attempt {a.n}) reaches the server; fault {action[2]}"
    if kind == "response":
        a, status, body = net.responses[action[1]]
        return f"client {a.client} gets HTTP {status} for send {a.send} attempt {a.n} (body v{body.version})"
    if kind == "timeout":
        return f"client {action[1]}'s POST for send {action[2]} times out"
    if kind in ("deliver", "drain"):
        q = (net.sse if kind == "deliver" else net.drained)[(action[1], action[2])]
        ev = q[0]
        what = "snapshot" if ev.snapshot else "delta"
        flags = " typing" if ev.typing else ""
        old = " from the dropped stream" if kind == "drain" else ""
        return f"client {action[1]} gets SSE v{ev.version} {what} ({ev.hi - ev.lo} messages{flags}){old}"
    if kind == "retry":
        return f"client {action[1]} retries send {action[2]}"
    if kind == "assistant":
        what, session, _c = net.assistant[action[1]]
        return f"assistant in {session} {'starts typing' if what == 'think' else 'replies'}"
    if kind == "reconnect":
        c = world.clients[action[1]]
        new = " with a new EventSource" if c.closed else ""
        if world.resume_of(c) == "first":
            return (f"client {action[1]} reconnects{new} without Last-Event-ID (it has received no "
                    "event): nothing is replayed")
        return f"client {action[1]} reconnects{new}"
    if kind == "refuse":
        return f"client {action[1]}'s reconnect is refused (HTTP 503): its EventSource closes for good"
    if kind == "disconnect":
        return f"client {action[1]}'s SSE connection drops"
    return str(action)

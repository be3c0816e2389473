"""What the user saw at each step of a counterexample: the views each step changed, as short text.

A counterexample's steps say what happened; a reviewer also needs what each client showed. The
schedule is replayed (untimed, as ``ssesim run CX.json`` does) with an observer that keeps every
view the system reports; a view is rendered as its entries in display order (canonical ones by
content, optimistic ones marked ``…sending``) and the flags that are set.
"""

from __future__ import annotations

from model.forwarding import Tee
from model.invariants import Monitor
from model.observe import Observer


class _Views(Observer):
    """Keeps the last view each client reported since ``views`` was emptied."""

    def __init__(self):
        self.views: dict = {}

    def view(self, t: float, client: int, cause: str, view: tuple) -> None:
        self.views[client] = view


def step_views(model, steps: list) -> list[dict]:
    """For each step of ``steps``, ``{client: text}`` of the views that step changed (replayed
    under ``model``; a step not enabled ends the list early)."""
    recorder = _Views()
    monitor = Monitor()
    node = model.initial(monitor, Tee(monitor, recorder))
    changed = []
    for action in steps:
        action = tuple(action)
        if action not in model.actions(node):
            break
        recorder.views = {}
        node.depth += 1
        model.advance(node, action)
        changed.append(dict(recorder.views))
    sessions = node.world.sessions
    contents = [s.content for s in model.scenario.sends]
    return [{c: render(v, sessions, contents) for c, v in sorted(views.items())} for views in changed]


def render(view: tuple, sessions: dict, contents: list[str]) -> str:
    """``['A', 'B' …sending] typing``: a view's entries in order, then its set flags."""
    canonical, optimistic, (typing, processing) = view
    entries = []
    for session, lo, hi in canonical:
        log = sessions[session].log
        entries += [repr(m.content) for m in log[lo:hi]]
    entries += [f"{contents[send]!r} …sending" for send in optimistic]
    flags = [name for name, on in (("typing", typing), ("processing", processing)) if on]
    return f"[{', '.join(entries)}]" + (f" {' '.join(flags)}" if flags else "")


def annotated(model, steps: list, labels: list[str], indent: str = "    ") -> str:
    """The numbered steps, each followed by the views it changed (``client N sees …``)."""
    views = step_views(model, steps)
    width = len(str(len(labels)))
    lines = []
    for i, label in enumerate(labels):
        lines.append(f"{indent}{i + 1:>{width}}. {label}")
        for client, text in (views[i] if i < len(views) else {}).items():
            lines.append(f"{indent}{'':>{width}}  ⇒ client {client} sees {text}")
    return "\n".join(lines)

"""The observation interface between the system model and its consumers (checkers, metrics, traces).

Every method is one trace kind (see the README's trace table). The system calls them as things happen;
``check-trace`` calls the same methods from a recorded JSONL file, so online and offline checks agree.
A view is ``(canonical runs, optimistic sends, (is_typing, is_processing))``; a run is
``(session, lo, hi)``: the session's committed messages lo … hi-1.
"""

from __future__ import annotations


class Observer:
    """Does nothing; subclasses override what they consume."""

    __slots__ = ()

    def config(self, scenario: str, strategy: str, seed: int, sessions: list[str]) -> None: ...
    def send(self, t: float, client: int, send: int, content: str) -> None: ...
    def post(self, t: float, client: int, send: int, attempt: int, fault: str) -> None: ...
    def arrive(self, t: float, client: int, send: int, attempt: int, outcome: str, status) -> None: ...
    def commit(self, t: float, session: str, index: int, send, sender: str, version: int,
               typing: bool, processing: bool) -> None: ...
    def flags(self, t: float, session: str, version: int, typing: bool, processing: bool) -> None: ...
    def push(self, t: float, session: str, client: int, conn: int, version: int, nbytes: int) -> None: ...
    def response(self, t: float, client: int, send: int, attempt: int, status: int) -> None: ...
    def timeout(self, t: float, client: int, send: int, attempt: int) -> None: ...
    def deliver(self, t: float, client: int, conn: int, version: int) -> None: ...
    def apply(self, t: float, client: int, version: int, source: str) -> None: ...
    def view(self, t: float, client: int, cause: str, view: tuple) -> None: ...
    def error(self, t: float, client: int, send: int) -> None: ...
    def rollback(self, t: float, client: int, send: int, before: tuple, after: tuple) -> None: ...
    def unconfirmed(self, t: float, client: int, send: int) -> None: ...
    def disconnect(self, t: float, client: int, conn: int, awaiting: int) -> None: ...
    def reconnect(self, t: float, client: int, conn: int, resume: str, refused: bool = False) -> None: ...
    def quiescent(self, t: float) -> None: ...
    def end(self, t: float, checked: bool) -> None: ...


class Tee(Observer):
    """Forwards every observation to several observers, in order."""

    def __init__(self, *observers: Observer):
        self.observers = observers

    def __getattribute__(self, name):
        if name.startswith("_") or name == "observers":
            return object.__getattribute__(self, name)
        methods = [getattr(o, name) for o in object.__getattribute__(self, "observers")]

        def fan_out(*args):
            for m in methods:
                m(*args)

        return fan_out


_OBSERVED = frozenset(n for n in vars(Observer) if not n.startswith("_"))


class Monotonic(Observer):
    """Forwards every observation to ``inner`` with its time raised, if need be, to the latest time
    already forwarded. For free-running drivers (``live`` and ``browser --mode free``): real effects
    are recorded as they land, concurrently with a step that awaited the network, and such a step is
    stamped no earlier than what was recorded meanwhile, so a trace's time never goes back."""

    __slots__ = ("_inner", "_last")

    def __init__(self, inner: Observer):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_last", 0.0)

    def __getattribute__(self, name):
        inner = object.__getattribute__(self, "_inner")
        if name.startswith("_") or name not in _OBSERVED:
            return object.__getattribute__(self, name) if name.startswith("_") else getattr(inner, name)
        method = getattr(inner, name)
        if name == "config":
            return method

        def forward(t, *args):
            last = object.__getattribute__(self, "_last")
            if t < last:
                t = last
            else:
                object.__setattr__(self, "_last", t)
            return method(t, *args)

        return forward

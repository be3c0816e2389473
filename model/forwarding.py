"""Observers that forward every observation to others (``Tee``, ``Monotonic``). They hook attribute
lookup, which a compiled class cannot, so the compiled build leaves this module interpreted (README:
A compiled build)."""

from __future__ import annotations

from model.observe import Observer


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

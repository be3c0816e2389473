"""The one place where the live clients decode what a strategy's handlers return (its effects).

``carry_out`` is the live twin of ``model.system.World._client``: it records what the strategy did
(``Apply``, ``ShowError``, ``Rollback``, ``Unconfirmed``, its view) and turns the rest into driver
work for the conductor, as ``model.vocab`` driver effects: an ``Attempt`` leaving, a ``Backoff``.
"""

from __future__ import annotations

from model.errors import SsesimError
from model.vocab import Abandon, Apply, Backoff, CancelTimer, Post, Rollback, ShowError, Timer, Unconfirmed


def carry_out(side, t: float, c, cause: str, effects) -> list:
    """Carry out a strategy's effects for client host ``c``; report its view if it changed."""
    out = []
    obs = side.obs
    for e in effects:
        kind = type(e)
        if kind is Apply:
            obs.apply(t, c.index, e.version, e.source)
        elif kind is Post:
            out.append(side.attempt(t, c, send=e.send, content=e.content, cmid=e.cmid, deadline=e.deadline))
        elif kind is ShowError:
            obs.error(t, c.index, e.send)
        elif kind is Rollback:
            obs.rollback(t, c.index, e.send, e.before, e.after)
        elif kind is Timer:
            side.start_timer(c.index, e.send)
            out.append(Backoff(c.index, e.send, e.delay))
        elif kind is CancelTimer:
            side.cancel_timer(c.index, e.send)
        elif kind is Abandon:
            side.abandon(c, e.send)
        elif kind is Unconfirmed:
            obs.unconfirmed(t, c.index, e.send)
        else:
            raise SsesimError(f"strategy {side.strategy_name!r} returned {e!r}, not an effect of "
                              "model.vocab (Post, Timer, CancelTimer, Abandon, ShowError, Rollback, "
                              "Unconfirmed, Apply)")
    side.report_view(t, c, cause)
    return out

"""The one place where the live clients decode what a strategy's handlers return (its effects).

``carry_out`` is the live twin of ``model.system.World._client``: it records what the strategy did
(``apply``, ``error``, ``rollback``, ``unconfirmed``, its view) and turns the rest into driver work
for the conductor: ``("post", Attempt)``, ``("timer", client, send, delay)``. Only this module knows
the shape of a strategy effect.
"""

from __future__ import annotations

from model.errors import SsesimError


def carry_out(side, t: float, c, cause: str, effects) -> list:
    """Carry out a strategy's effects for client host ``c``; report its view if it changed."""
    out = []
    obs = side.obs
    for e in effects:
        kind = e[0]
        if kind == "apply":
            obs.apply(t, c.index, e[1], e[2])
        elif kind == "post":
            out.append(("post", side.attempt(t, c, send=e[1], content=e[2], cmid=e[3], deadline=e[4])))
        elif kind == "error":
            obs.error(t, c.index, e[1])
        elif kind == "rollback":
            obs.rollback(t, c.index, e[1], e[2], e[3])
        elif kind == "timer":
            side.start_timer(c.index, e[1])
            out.append(("timer", c.index, e[1], e[2]))
        elif kind == "cancel_timer":
            side.cancel_timer(c.index, e[1])
        elif kind == "abandon":
            side.abandon(c, e[1])
        elif kind == "unconfirmed":
            obs.unconfirmed(t, c.index, e[1])
        else:
            raise SsesimError(f"strategy {side.strategy_name!r} returned unknown effect {kind!r}")
    side.report_view(t, c, cause)
    return out


"""The in-process server's side of a conductor: its clock and timers (``ConductorDriver``), and the
bounds of one live run (``Limits``)."""

from __future__ import annotations

from model.config import Dist
from simulations.live import wire
from simulations.live.core import Driver


class Limits:
    """Bounds of one run: wall seconds, steps, and how long to wait for any one real effect."""

    def __init__(self, wall: float = 600.0, steps: int = 2_000_000, patience: float = 5.0):
        self.wall, self.steps, self.patience = wall, steps, patience


class ConductorDriver(Driver):
    """The in-process server's clock and timers, taken from the conductor."""

    epoch = wire.EPOCH  # virtual instant 0 is 2000-01-01T00:00:00Z (SPEC §6.1)

    def __init__(self, conductor):
        super().__init__()
        self.conductor = conductor

    def now(self) -> float:
        return self.conductor.server_now()

    def later(self, delay: Dist, kind: str, session: str, content: str) -> None:
        self.conductor.server_timer(delay, kind, session, content)

    def pushed(self, client: int, conn: int, version: int) -> None:
        self.conductor.server_pushed(client, conn, version)

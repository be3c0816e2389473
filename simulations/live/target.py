"""The quiescence check of a ``--target`` run (mixed into the conductor): another server's own work
is invisible, so once the client side has been quiet for ``settle`` wall seconds, read each
session's snapshot for the audit, then check quiescence (README, *Against your server*)."""

from __future__ import annotations


class TargetAudit:
    """``Conductor._settle_target``; the conductor holds every attribute it reads."""

    async def _settle_target(self) -> None:
        """--target: the client side stayed quiet for ``settle`` wall seconds: read each session's
        snapshot (the audit), then check quiescence, unless something happened meanwhile."""
        marker = self.quiet_wall
        for session in sorted({h.session for h in self.side.clients}):
            event, messages = await self.wire.snapshot(session)
            if self.quiet_wall != marker or self.ended:
                return
            self.auditor.learn(self.vnow(), event, messages)
        self.quiet_wall = None
        t = self.vnow()
        side = self.side
        if not side.pending and side.quiescent():
            self.obs.quiescent(t)
            self.was_quiet = True
            if self.inputs == 0:
                self._end(t, True)
        elif self.inputs == 0 and self._only_clocks() and not self.tasks:
            self.stuck = True
            self._end(t, False)

"""A planted bug for the quiescence checks: a client that shows a send and never posts it.

Nothing is pending afterwards, so the system never stops being quiescent: the send is lost
silently and its optimistic entry is an orphan, which only the end-of-run check can see when the
send is the run's last input.
"""

from __future__ import annotations

from model.strategies import Seed


class Forgetful(Seed):
    name = "forgetful"

    def on_send(self, t, send, content):
        canon, opt, flags = self.view
        self.view = (canon, (*opt, send), flags)
        return []

"""An example plug-in strategy, showing the protocol a user's ``module:Class`` implements (SPEC §2.2).

Use it as ``ssesim run SCENARIO --strategy tests.plugins.example:VersionedSeed``.

The protocol, in short (the full list of effects is in ``model.strategies``):

* subclass ``model.strategies.Strategy``; the constructor gets ``(client, session, options,
  max_message_length)``; ``self.session`` is read-only, ``self.options`` holds ``[strategy_options]``
  (unknown keys of that table through ``self.options.get(key, default)``);
* keep the view the user sees in ``self.view = (canonical runs, optimistic sends, (typing, processing))``;
  a canonical run ``(session, lo, hi)`` stands for that session's messages ``lo … hi-1``;
* each ``on_*`` handler gets the time and its input and returns a list of effects, for example
  ``("post", send, content, client_message_id_or_None, deadline_or_None)`` to send a POST attempt,
  ``("timer", send, delay)`` to be called back in ``on_retry``, ``("error", send)`` to show an error,
  ``self._rollback(send)`` to remove the send's optimistic entry, and ``("apply", version, "sse")``
  whenever a server state is applied (the ``monotonic`` checker counts these);
* ``asks_snapshot = True`` asks the server for a snapshot on every (re)connect;
* ``has_pending()`` returns True while the strategy still holds work the run must wait for.

``VersionedSeed`` is the seed plus one mechanism from RESEARCH.md: versioned events (an event older than
the newest applied is ignored), which removes A7 (stale overwrite) and nothing else.
"""

from __future__ import annotations

from model.strategies import Strategy, event_runs


class VersionedSeed(Strategy):
    """The seed's optimistic append, POST and rollback, with full replacement by newer events only."""

    name = "versioned-seed"

    def __init__(self, client, session, options, max_message_length):
        super().__init__(client, session, options, max_message_length)
        self.applied = 0  # the newest version applied; every client starts at the empty state, version 0

    def on_send(self, t, send, content):
        if not self.valid(content):
            return [("error", send)]
        canon, optimistic, flags = self.view
        self.view = (canon, optimistic + (send,), flags)
        return [("post", send, content, None, None)]

    def on_response(self, t, attempt, status, body):
        if 200 <= status < 300:
            return []
        return [self._rollback(attempt.send), ("error", attempt.send)]

    def on_timeout(self, t, attempt):
        return [self._rollback(attempt.send), ("error", attempt.send)]

    def on_event(self, t, event):
        # event = (session, version, lo, hi, typing, processing, is_snapshot)
        version = event[1]
        if version <= self.applied:
            return []
        self.applied = version
        self.view = (event_runs(event), (), (event[4], event[5]))
        return [("apply", version, "sse")]

"""Planted bugs for the explorer's quality tests: each breaks one mechanism of a built-in strategy.

Every class is a plug-in (``--strategy tests.plugins.planted:Name``) that subclasses a built-in and
changes one thing that the design in RESEARCH.md relies on; ``tests/test_explore_planted.py`` asserts
that the explorer finds each on a small scenario, with the length of its shortest counterexample.
"""

from __future__ import annotations

from model.explored import COPY, OUT, field
from model.strategies import Reconciled, Seed
from model.vocab import Post


class RollbackByContent(Seed):
    """The seed, but a rollback removes every entry whose content equals the failed send's (the
    temp id is never used): with two sends "ok", "ok" one failure removes both."""

    name = "rollback-by-content"
    EXPLORED = {**Seed.EXPLORED, "content": field(COPY, OUT, "each send's content, fixed by the scenario")}

    def __init__(self, *args):
        super().__init__(*args)
        self.content: dict[int, str] = {}

    def on_send(self, t, send, content):
        self.content[send] = content
        return super().on_send(t, send, content)

    def remove_entry(self, send):
        text = self.content.get(send)
        canon, opt, flags = self.view
        runs = []
        for s, lo, hi in canon:  # split the canonical runs around messages with that content
            start = lo
            for i in range(lo, hi):
                if s == self.session.name and self.session.message(i).content == text:
                    if i > start:
                        runs.append((s, start, i))
                    start = i + 1
            if hi > start:
                runs.append((s, start, hi))
        self.view = (tuple(runs), tuple(x for x in opt if self.content.get(x) != text), flags)


class NoVersionCheck(Reconciled):
    """Reconciled without the version check: every SSE state is applied, even one older than the
    newest applied (a stale snapshot drained from a dropped stream)."""

    name = "no-version-check"

    def on_event(self, t, event):
        self.applied = min(self.applied, event.version - 1)  # the bug: forget what was applied
        return super().on_event(t, event)


class RetryWithoutId(Reconciled):
    """Reconciled whose retries carry no client message id: the server cannot recognise a retry of
    a send it already committed, and commits it again."""

    name = "retry-without-id"

    def on_retry(self, t, send):
        if send not in self.pending:
            return []
        return [Post(send, self.content[send], None, t + self.options.request_deadline)]


class RebaseDropsPending(Reconciled):
    """Reconciled whose rebase, on an SSE event, keeps only the send that was in flight when the event
    arrived: sends queued behind it vanish from the view until their own commit brings them back."""

    name = "rebase-drops-pending"

    def on_event(self, t, event):
        in_flight = self.active
        effects = super().on_event(t, event)
        canon, opt, flags = self.view
        self.view = (canon, tuple(s for s in opt if s == in_flight), flags)
        return effects


class GapBlindResume(Reconciled):
    """Reconciled that trusts Last-Event-ID instead of asking for a snapshot, and on reconnect takes
    the server's current version as applied: the replayed events that fill the gap then look stale
    and are skipped, and a 2xx whose version that watermark covers reads as "accepted, then dropped"."""

    name = "gap-blind-resume"
    asks_snapshot = False

    def on_open(self, t):
        # The bug: skip the gap. It reads what no client knows (the server's current version),
        # through the session view's private handle: planted bugs may cheat, plug-ins need not.
        self.applied = max(self.applied, self.session._session.version)
        return super().on_open(t)

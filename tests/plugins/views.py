"""Plug-ins that shape their views in ways the built-ins never do, for the reference checker's
differential test (tests/test_reference.py): four planted view bugs, and one correct strategy whose
canonical part is cut into one-message runs.

The built-ins show a snapshot as one run and append optimistic entries at the end, which is what the
online checkers' fast paths expect; these take the general paths (several runs, runs out of server
order, entries removed from the middle, a send shown twice, flags changed by a client). Each changes
only the view a built-in computes, so it works whatever form the strategies' effects take.
"""

from __future__ import annotations

from model.strategies import Reconciled, Seed


def _single_runs(canon: tuple) -> tuple:
    """The same messages, one run per message."""
    return tuple((s, i, i + 1) for s, lo, hi in canon for i in range(lo, hi))


class FragmentedRuns(Reconciled):
    """Correct: reconciled, with its canonical entries as one-message runs (the same messages)."""

    name = "fragmented-runs"

    def render(self):
        super().render()
        canon, opt, flags = self.view
        self.view = (_single_runs(canon), opt, flags)


class PrependsOptimistic(Seed):
    """The seed, but a new optimistic entry goes before the older ones: a second send shown while
    the first is in flight is out of send order."""

    name = "prepends-optimistic"

    def on_send(self, t, send, content):
        effects = super().on_send(t, send, content)
        canon, opt, flags = self.view
        if opt and opt[-1] == send:
            self.view = (canon, (send,) + opt[:-1], flags)
        return effects


class KeepsOptimistic(Seed):
    """The seed, but an SSE event keeps the optimistic entries after the new canonical ones (a rebase
    without de-duplication): a committed send then shows twice and its optimistic entry never goes."""

    name = "keeps-optimistic"

    def on_event(self, t, event):
        _canon, opt, _flags = self.view
        effects = super().on_event(t, event)
        canon, _none, flags = self.view
        self.view = (canon, opt, flags)
        return effects


class ReversedLog(Seed):
    """The seed, but it shows an SSE state's messages newest first (one run per message)."""

    name = "reversed-log"

    def on_event(self, t, event):
        effects = super().on_event(t, event)
        canon, opt, flags = self.view
        self.view = (tuple(reversed(_single_runs(canon))), opt, flags)
        return effects


class TypingOnSend(Seed):
    """The seed, but sending sets the typing flag locally: a flag the server owns, changed without SSE."""

    name = "typing-on-send"

    def on_send(self, t, send, content):
        effects = super().on_send(t, send, content)
        canon, opt, (_typing, processing) = self.view
        self.view = (canon, opt, (True, processing))
        return effects

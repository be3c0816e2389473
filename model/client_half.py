"""The client half of the model: what a strategy's effects do on the client side (``ClientHalf``,
shared by the World and the live clients), the server's POST rule (``post_outcome``) and how a new
stream starts (``resume_of``), both shared by the World and the live server (SPEC §2.6)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model.compiled import mypyc_attr
from model.config import Dist
from model.plugins import BadEffect
from model.vocab import (
    ABANDONED,
    AWAITING,
    TIMED_OUT,
    Abandon,
    Apply,
    Attempt,
    Backoff,
    CancelTimer,
    Post,
    Reconnect,
    Reopen,
    Rollback,
    ShowError,
    Timer,
    Unconfirmed,
)

if TYPE_CHECKING:
    from model.observe import Observer

OPEN, CLOSED, REOPENING = 0, 1, 2  # Client.closed: the state of a client's EventSource


def post_outcome(duplicate: bool, expired: bool, content: str, max_length: int, fault: str) -> str:
    """What the server does with a POST that reached it, in SPEC §2.6's order: idempotency first,
    then the deadline, validation, and this POST's server fault. The World's and the live server's."""
    if duplicate:  # its client message id is committed already
        return "duplicate"
    if expired:
        return "expired"
    if not content or len(content) > max_length:
        return "invalid"
    if fault in ("rejected", "error_before_commit", "accepted_dropped"):
        return fault
    return "error_after_commit" if fault == "error_after_commit" else "ok"


def resume_of(policy: str, c) -> str:
    """How the server starts client ``c``'s new stream under ``sse.resume = policy`` (SPEC §2.6): a
    snapshot if the client asks for one or the server always sends one; nothing ("first") when it
    carries no id (its EventSource received no event, or is a new one), which the server cannot tell
    from a first connection; else per ``policy``. The World's and the live clients' (the trace's
    ``reconnect.resume``)."""
    if c.strategy.asks_snapshot or policy == "snapshot-always":
        return "snapshot"
    if c.last_version is None or c.closed == REOPENING:  # a reopened EventSource starts with none
        return "first"
    return policy


@mypyc_attr(allow_interpreted_subclasses=True)
class ClientHalf:
    """What a strategy's effects do on the client side: the one decoding of strategy effects
    (``model.vocab``), shared by the World and the live clients (``simulations.live.clients``).

    The class that mixes it in holds ``clients``, ``obs``, ``strategy_name``, ``attempts``,
    ``pending``, ``timers``, ``send_specs`` and ``_counts``; its clients have ``index``,
    ``strategy``, ``outstanding`` and ``last_view``.
    """

    clients: list[Any]
    obs: Observer
    scenario: Any
    strategy_name: str
    attempts: int
    pending: int
    timers: frozenset[tuple[int, int]]
    send_specs: dict[int, Any]
    _counts: dict[tuple[int, int], int]

    # --- the client handlers the World and the live clients share ---------------------------
    def client_timeout(self, t: float, attempt: Attempt) -> list | tuple:
        if attempt.state != AWAITING:
            return ()
        c = self.clients[attempt.client]
        attempt.state = TIMED_OUT
        self.pending -= 1
        c.outstanding.pop(attempt.send, None)
        self.obs.timeout(t, c.index, attempt.send, attempt.n)
        return self._client(t, c, "timeout", c.strategy.on_timeout(t, attempt))

    def client_retry(self, t: float, client: int, send: int) -> list | tuple:
        key = (client, send)
        if key not in self.timers:
            return ()
        self.timers = self.timers - {key}  # written by replacement: the explorer shares it (world_state)
        self.pending -= 1
        c = self.clients[client]
        return self._client(t, c, "retry", c.strategy.on_retry(t, send))

    def refuses(self, client: int) -> bool:
        """Whether a scripted count refuses ``client``'s next reconnect (decided before any draw)."""
        return self.clients[client].refuse > 0

    def reconnect_starts(self, t: float, c, refused: bool) -> tuple[str, list | None]:
        """A reconnect of client ``c`` begins (SPEC §2.6's order, the World's and the live clients'):
        a new connection id; a reopened EventSource carries no id; a scripted ``refuse`` count refuses
        it whatever ``refused`` (the driver's draw) says. Returns ``(resume, None)`` for an accepted
        one (its stream opens), else ``(resume, effects)``: closed for good, and what the strategy's
        ``on_refused`` did; the ``reconnect`` record is written either way."""
        self.pending -= 1
        c.conn += 1
        if c.closed == REOPENING:  # a new EventSource: it has received nothing, so it has no id
            c.closed = OPEN
            c.last_version = None
        if c.refuse:
            c.refuse -= 1
            refused = True
        resume = resume_of(self.scenario.sse.resume, c)
        if refused:  # closed for good: the strategy may reopen one; else nothing is pending
            c.closed = CLOSED
            self.obs.reconnect(t, c.index, c.conn, resume, True)
            return resume, self._client(t, c, "refused", c.strategy.on_refused(t))
        c.connected = True
        self.obs.reconnect(t, c.index, c.conn, resume)
        return resume, None

    def _client(self, t: float, c, cause: str, effects) -> list:
        """Carry out a strategy's effects; report its view if it changed; return driver effects.

        The one decoding of strategy effects (``model.vocab``), most frequent kinds first.
        """
        out: list = []
        obs = self.obs
        for e in effects:
            kind = type(e)
            if kind is Apply:  # every SSE event applied
                obs.apply(t, c.index, e.version, e.source)
            elif kind is Post:
                out.append(self._attempt(t, c, e))
            elif kind is ShowError:
                obs.error(t, c.index, e.send)
            elif kind is Rollback:
                obs.rollback(t, c.index, e.send, e.before, e.after)
            elif kind is Timer:
                key = (c.index, e.send)
                if key not in self.timers:
                    self.timers = self.timers | {key}
                    self.pending += 1
                out.append(Backoff(c.index, e.send, e.delay))
            elif kind is CancelTimer:
                key = (c.index, e.send)
                if key in self.timers:
                    self.timers = self.timers - {key}
                    self.pending -= 1
            elif kind is Abandon:
                a = c.outstanding.pop(e.send, None)
                if a is not None and a.state == AWAITING:
                    a.state = ABANDONED
                    self.pending -= 1
            elif kind is Unconfirmed:
                obs.unconfirmed(t, c.index, e.send)
            elif kind is Reopen:
                if e.delay is not None and not 0 <= e.delay <= 1e6:  # also NaN
                    raise BadEffect(c.strategy, f"strategy {self.strategy_name!r} returned {e!r}: a "
                                    "Reopen's delay is None or a number of seconds >= 0 and <= 1000000")
                if c.closed == CLOSED:  # a new EventSource, once per refusal (else nothing)
                    c.closed = REOPENING
                    self.pending += 1  # a client that will reconnect is pending work
                    delay = self.scenario.sse.reconnect_delay if e.delay is None else \
                        Dist("constant", value=e.delay)
                    out.append(Reconnect(c.index, delay))
            else:
                raise BadEffect(c.strategy, f"strategy {self.strategy_name!r} returned {e!r}, not an "
                                "effect of model.vocab (Post, Timer, CancelTimer, Abandon, ShowError, "
                                "Rollback, Unconfirmed, Apply, Reopen)")
        self._report_view(t, c, cause)
        return out

    def _report_view(self, t: float, c, cause: str) -> None:
        """Report the client's view if it changed since the last report."""
        view = c.strategy.view
        if view is not c.last_view and view != c.last_view:
            c.last_view = view
            self.obs.view(t, c.index, cause, view)

    def _attempt(self, t: float, c, post: Post) -> Attempt:
        send, content, cmid, deadline = post  # unpacked: a NamedTuple's fields by name are slower (every send)
        prev = c.outstanding.get(send)
        key = (c.index, send)
        n = prev.n + 1 if prev is not None else self._counts.get(key, 0) + 1
        if deadline is not None:
            deadline = round(deadline * 1e9) / 1e9  # exact decimal instants (SPEC §2.6)
        a = Attempt(self.attempts, c.index, send, n, content, cmid, deadline, t)
        self.attempts += 1
        self._counts[key] = n
        spec = self.send_specs.get(send) if n == 1 and self.send_specs else None
        if spec is not None:
            a.fault = spec.fault
            a.request_latency, a.response_latency = spec.request_latency, spec.response_latency
        c.outstanding[send] = a
        self.pending += 2  # the request travelling, and the client awaiting its outcome
        return a

"""The bare-loop twin: the realistic workload with the ``seed`` strategy as one heapq loop.

The practical speed limit of Python for this model: a heap of ``(time, seq, kind, payload)``,
an ``if`` chain on ``kind``, no checkers, no chart, no trace, no metrics beyond the run's
counters. One function on purpose: locals are the fastest names Python has, and splitting
the loop into handlers would add the calls this baseline exists to leave out.

Semantics follow SPEC §2 for what the workload uses: Poisson sends per client, one fault per
POST (§2.3), a timeout scheduled with every POST (popped and ignored once the POST is
answered: lazy deletion, as a heap simulator does), snapshot SSE pushes to every open
stream of the session, FIFO per connection (§2.4), the assistant's think/reply cycle,
Poisson disconnects while connected, reconnect after ``reconnect_delay`` with a snapshot
first when ``resume = "snapshot"``. The client is the seed's: optimistic append, rollback
by temp id on a non-2xx or a timeout, full replacement of the view on every SSE event.
As in ssesim, a snapshot refers to a prefix of the session's append-only log (its length),
so an event costs the same at any conversation length: a view is the first ``canon[c]``
messages of the log followed by the optimistic entries ``opt[c]``.
The run ends at the first quiescent instant (§2.6 pending work) after the last send.
``events`` counts heap pops.
"""

from __future__ import annotations

from heapq import heappop, heappush
from random import Random

from simulations.bench.workload import (
    ACCEPTED_DROPPED,
    ERROR_AFTER,
    ERROR_BEFORE,
    REJECTED,
    REQUEST_LOST,
    RESPONSE_LOST,
    TwinResult,
    Workload,
    content_for,
    fault_drawer,
    sampler,
)

SEND, ARRIVE, RESPONSE, TIMEOUT, DELIVER, THINK, REPLY, DISCONNECT, RECONNECT = range(9)


def run_heap(w: Workload, seed: int) -> TwinResult:
    """Run workload ``w`` with random seed ``seed``; return the run's counters."""
    rng = Random(seed)
    req_lat, resp_lat = sampler(w.request_latency, rng), sampler(w.response_latency, rng)
    sse_delay, draw_fault = sampler(w.sse_delay, rng), fault_drawer(w, rng)
    gap = rng.expovariate
    n = len(w.sessions)
    names = sorted(set(w.sessions))
    sess_of = [names.index(s) for s in w.sessions]
    members = [[c for c in range(n) if sess_of[c] == s] for s in range(len(names))]
    # Server state per session; a message is (server id, sender, content).
    msgs: list[list[tuple]] = [[] for _ in names]
    version = [0] * len(names)
    busy = [False] * len(names)  # is_typing and is_processing, always set together
    snap: list[tuple] = [(0, 0, False) for _ in names]  # (version, log length, flags)
    # Client state: its view, its flags, its connection (id, -1 when down), FIFO clock.
    canon, opt = [0] * n, [[] for _ in range(n)]
    flags = [False] * n
    conn, last, inflight = [0] * n, [0.0] * n, [0] * n
    waiting: set[int] = set()
    heap: list = []
    seq = pending = posts = committed = errors = sid = events = 0
    sends_left, sent = n * w.count, [0] * n
    maxlen, timeout, think, reply = w.max_message_length, w.timeout, w.think_delay, w.reply_delay
    rate, drate, assistant = w.rate, w.disconnect_rate, w.assistant
    snapshot_first = w.resume == "snapshot"
    for c in range(n):
        if w.count:
            seq += 1
            heappush(heap, (gap(rate), seq, SEND, c))
        if drate:
            seq += 1
            heappush(heap, (gap(drate), seq, DISCONNECT, (c, 0)))
    t = 0.0

    def change(s: int, t: float) -> None:
        """Push the session's new snapshot to its open streams (FIFO per connection)."""
        nonlocal seq, pending
        payload = snap[s] = (version[s], len(msgs[s]), busy[s])
        for c in members[s]:
            if conn[c] >= 0:
                d = t + sse_delay()
                if d < last[c]:  # noqa: PLR1730 - a compare is cheaper than a call to max()
                    d = last[c]
                last[c] = d
                inflight[c] += 1
                pending += 1
                seq += 1
                heappush(heap, (d, seq, DELIVER, (c, conn[c], payload)))

    while heap:
        t, _, kind, p = heappop(heap)
        events += 1
        if kind == DELIVER:
            c, k, payload = p
            if k == conn[c]:  # else: lost with its dropped connection
                inflight[c] -= 1
                pending -= 1
                canon[c], opt[c] = payload[1], []  # the seed's full replacement
                flags[c] = payload[2]
        elif kind == SEND:
            c = p
            sends_left -= 1
            sent[c] += 1
            if sent[c] < w.count:
                seq += 1
                heappush(heap, (t + gap(rate), seq, SEND, c))
            content = content_for(c, sent[c], w.content_length)
            if not content or len(content) > maxlen:
                errors += 1  # client-side validation: an error, no POST
            else:
                posts += 1
                seq += 1
                post = seq  # the temp id
                opt[c].append((post, content))
                waiting.add(post)
                pending += 1
                heappush(heap, (t + timeout, post, TIMEOUT, (c, post)))
                fault = draw_fault()
                if fault != REQUEST_LOST:
                    pending += 1
                    seq += 1
                    heappush(heap, (t + req_lat(), seq, ARRIVE, (c, post, content, fault)))
        elif kind == ARRIVE:
            c, post, content, fault = p
            pending -= 1
            s = sess_of[c]
            if not content or len(content) > maxlen:
                status = 400
            elif fault == REJECTED:
                status = 422
            elif fault == ERROR_BEFORE:
                status = 500
            elif fault == ACCEPTED_DROPPED:
                status = 200
            else:
                sid += 1
                msgs[s].append((sid, "user", content))
                version[s] += 1
                committed += 1
                change(s, t)
                if assistant:
                    pending += 1
                    seq += 1
                    heappush(heap, (t + think, seq, THINK, s))
                status = 500 if fault == ERROR_AFTER else None if fault == RESPONSE_LOST else 200
            if status is not None:
                seq += 1
                heappush(heap, (t + resp_lat(), seq, RESPONSE, (c, post, status)))
        elif kind == RESPONSE:
            c, post, status = p
            if post in waiting:  # else: the client gave up on it
                waiting.discard(post)
                pending -= 1
                if status != 200:
                    opt[c] = [e for e in opt[c] if e[0] != post]
                    errors += 1
        elif kind == TIMEOUT:
            c, post = p
            if post in waiting:
                waiting.discard(post)
                pending -= 1
                opt[c] = [e for e in opt[c] if e[0] != post]
                errors += 1
        elif kind == THINK:
            s = p
            pending -= 1
            if not busy[s]:
                busy[s] = True
                version[s] += 1
                change(s, t)
            pending += 1
            seq += 1
            heappush(heap, (t + reply, seq, REPLY, s))
        elif kind == REPLY:
            s = p
            pending -= 1
            sid += 1
            msgs[s].append((sid, "assistant", "reply"))
            busy[s] = False
            version[s] += 1
            change(s, t)
        elif kind == DISCONNECT:
            c, k = p
            if k == conn[c]:
                pending += 1 - inflight[c]  # the client is down; its in-flight events are lost
                inflight[c] = 0
                conn[c] = -1 - k
                seq += 1
                heappush(heap, (t + w.reconnect_delay, seq, RECONNECT, c))
        elif kind == RECONNECT:
            c = p
            pending -= 1
            conn[c] = k = -conn[c]
            last[c] = 0.0
            if snapshot_first:
                d = t + sse_delay()
                last[c] = d
                inflight[c] += 1
                pending += 1
                seq += 1
                heappush(heap, (d, seq, DELIVER, (c, k, snap[sess_of[c]])))
            seq += 1
            heappush(heap, (t + gap(drate), seq, DISCONNECT, (c, k)))
        if not pending and not sends_left:
            break
    return TwinResult(
        sends=n * w.count,
        committed=committed,
        errors_shown=errors,
        posts=posts,
        events=events,
        logical_events=events,
        end_time=t,
    )

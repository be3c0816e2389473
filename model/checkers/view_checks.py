"""Part of ``Monitor``: the invariants checked on every view change, and divergence timing.

``sse-only``, ``isolation``, ``no-flicker``, the view half of ``no-duplicate`` and ``send-order`` are
episodes of one client's view changing, so one pass over each change serves them all (and the
time-to-confirm and flicker metrics, and the chart's confirmation steps). The common changes (one
message appended to a snapshot, one optimistic entry added or removed) take inline fast paths;
``model.reference`` checks them against the SPEC's plain definitions.
"""

# mypy: disable-error-code="misc"
# (it assigns slots of Monitor, which declares them; mypy checks the __slots__ = () below)

from __future__ import annotations

from typing import TYPE_CHECKING

from model.checkers.quiescence import QuiescenceChecks
from model.checkers.runs import canon_diff, normalize, opt_changes
from model.compiled import mypyc_attr
from model.gaps import POST_APPLIES, SSE_DELIVERS, UI_UPDATED

if TYPE_CHECKING:
    from model.checkers.mirror import Mirror
    from model.gaps import Lifecycle


@mypyc_attr(allow_interpreted_subclasses=True)
class ViewChecks(QuiescenceChecks):
    """Base of ``Monitor``: reads and writes the Monitor's state (see ``Monitor.__init__``); the
    attributes declared here are the ones it reads beyond ``QuiescenceChecks``'."""

    __slots__ = ()
    send_client: dict[int, int]
    shown: dict[int, float]
    mirrors: dict[str, Mirror]
    gone: list[dict[int, float]]
    gone_owned: bool
    confirmed: set[int]
    cnt: list[dict[int, int]]
    view_changes: int
    sometimes: set[str]
    lifecycle: Lifecycle
    in_order: list[bool]
    flicker_time: float
    confirm_times: list[float]

    def view(self, t: float, client, cause, view):
        self.seq += 1
        self.view_changes += 1
        views = self.views
        old = views[client]
        views[client] = view
        canon, opt, flags = view
        ocanon, oopt, oflags = old
        m = self.own[client]
        n = len(canon)
        if n == 1:
            name, lo, hi = canon[0]
            own = name == m.name
        else:
            own = False
        if canon is ocanon or canon == ocanon:
            if cause != "sse" and flags != oflags:
                self._violate("sse-only", t, f"client {client}'s flags changed on a {cause}")
            if opt is not oopt and opt != oopt:
                if not oopt and len(opt) == 1:  # a first optimistic entry: _delta's work, inline
                    self._count(t, client, opt[0], 1)
                else:
                    self._delta(t, client, cause, (), (), oopt, opt)
        elif (own and cause == "sse" and len(ocanon) == 1 and ocanon[0] == (name, lo, hi - 1)
              and (opt is oopt or opt == oopt)):
            # The common delivery: one message appended to a run of the client's own session, the
            # optimistic list unchanged (canon_diff, _added and _count for it, inline).
            send = m.sends[hi - 1]
            if send is not None:
                if send not in self.confirmed and self.send_client.get(send) == client:
                    self._confirm(t, client, cause, send)
                cnt = self.cnt[client]
                before = cnt.get(send, 0)
                cnt[send] = before + 1
                if before == 0:
                    if send in self.gone[client] or send not in self.shown:
                        self._shown(t, client, send)
                elif before == 1:
                    self._violate("no-duplicate", t, f"client {client} shows send {send} twice")
        else:
            added, removed = canon_diff(ocanon, canon)
            if cause != "sse":
                if added or removed or normalize(ocanon) != normalize(canon):
                    self._violate("sse-only", t, f"client {client}'s canonical state changed on a {cause}")
                elif flags != oflags:
                    self._violate("sse-only", t, f"client {client}'s flags changed on a {cause}")
            if added or removed or (opt is not oopt and opt != oopt):
                self._delta(t, client, cause, added, removed, oopt, opt)
        # _ordered's fast path inline: a prefix of the client's own session's log, then optimistic
        if own and lo == 0:
            if m.desc[client][hi]:
                ordered = False
            elif opt:
                if len(opt) == 1:  # _opt_ordered for one entry, inline: every send's view
                    send = opt[0]
                    ordered = not (send < m.last[client][hi] and self.send_client.get(send) == client)
                else:
                    ordered = self._opt_ordered(client, opt, m.last[client][hi])
            else:
                ordered = True
        else:
            ordered = self._ordered(client, canon, opt, m)
        in_order = self.in_order
        if ordered != in_order[client]:  # written by replacement, so only when it changes
            if not ordered:
                self._violate("send-order", t, f"client {client}'s own messages are out of send order")
            self.in_order = in_order = in_order.copy()
            in_order[client] = ordered
        # divergence timing: m.matches(canon, opt, flags), inline (every view change)
        equal = (not opt and flags == m.flags
                 and (canon == m.full or ((n > 1 or (n == 1 and hi <= lo)) and normalize(canon) == m.full)))
        began = self.since[client]
        if equal:
            if began is not None:
                self.diverged_time += t - began
                self.since[client] = None
        elif began is None:
            self.since[client] = t

    def _delta(self, t: float, client, cause, added, removed, oopt, opt) -> None:
        """Count changes per send from the canonical entries added and removed and the optimistic
        list's change; each send's net change is counted once, in first-touched order."""
        delta: dict[int, int] = {}
        m = self.own[client]
        for s, i in added:
            send = self._added(t, client, cause, s, i, m)
            if send is not None:
                delta[send] = delta.get(send, 0) + 1
        if removed:
            mirrors = self.mirrors
            for s, i in removed:
                send = mirrors[s].sends[i] if s in mirrors else None
                if send is not None:
                    delta[send] = delta.get(send, 0) - 1
        if opt is not oopt and opt != oopt:
            if not opt:  # cleared and appended to: the common cases, without opt_changes' list
                for send in oopt:
                    delta[send] = delta.get(send, 0) - 1
            elif not oopt and len(opt) == 1:
                send = opt[0]
                delta[send] = delta.get(send, 0) + 1
            else:
                for send, d in opt_changes(oopt, opt):
                    delta[send] = delta.get(send, 0) + d
        for send, d in delta.items():
            if d:
                self._count(t, client, send, d)

    def _added(self, t: float, client, cause, s, i, m):
        """Canonical message ``s#i`` appeared in the client's view: isolation, confirmation; its send.
        ``m``: the mirror of the client's own session."""
        if s == m.name:
            send = m.sends[i]
        else:
            self._violate("isolation", t, f"client {client} (session {m.name}) shows message {s}#{i}")
            mirrors = self.mirrors
            send = mirrors[s].sends[i] if s in mirrors else None
        if send is not None and send not in self.confirmed and self.send_client.get(send) == client:
            self._confirm(t, client, cause, send)
        return send

    def _confirm(self, t: float, client, cause, send) -> None:
        """The client's own ``send`` shows as canonical for the first time."""
        self.confirmed.add(send)
        lifecycle = self.lifecycle
        if cause == "sse":  # Lifecycle.confirmed, one call fewer
            if lifecycle.state.get(send) == "POSTSending":
                self.sometimes.add("sse-before-response")
            lifecycle.fire2(t, self.seq, send, SSE_DELIVERS, UI_UPDATED)
        else:
            lifecycle.fire(t, self.seq, send, POST_APPLIES)
        if send in self.shown:
            self.confirm_times.append(t - self.shown[send])

    def _count(self, t: float, client, send, d) -> None:
        """The client's view shows ``d`` more entries of ``send``: duplicates, flicker, first shown."""
        cnt = self.cnt[client]
        before = cnt.get(send, 0)
        after = before + d
        cnt[send] = after
        if after >= 2 and before <= 1:
            self._violate("no-duplicate", t, f"client {client} shows send {send} twice")
        if before == 0 and after > 0:
            self._shown(t, client, send)
        elif after == 0 and before > 0:
            (self.gone if self.gone_owned else self._own_gone())[client][send] = t

    def _own_gone(self) -> list[dict[int, float]]:
        """Copies of ``gone`` (shared with a copy of this monitor, or with its original) of its own."""
        self.gone = gone = [g.copy() for g in self.gone]
        self.gone_owned = True
        return gone

    def _shown(self, t: float, client, send) -> None:
        """``send`` is in the client's view again (flicker, if it had gone) or for the first time."""
        gone = self.gone[client]
        if send in gone:
            self.flicker_time += t - gone[send]
            del (self.gone if self.gone_owned else self._own_gone())[client][send]
            self._violate("no-flicker", t, f"send {send} reappeared in client {client}'s view")
        elif send not in self.shown and self.send_client.get(send) == client:
            self.shown[send] = t

    def _ordered(self, client, canon, opt, m) -> bool:
        """Are the client's own entries in send order? ``m``: the mirror of the client's session."""
        owner = self.send_client
        last = -1
        if len(canon) == 1 and canon[0][1] == 0 and canon[0][0] == m.name:
            hi = canon[0][2]
            if m.desc[client][hi]:
                return False
            last = m.last[client][hi]
        else:
            for s, lo, hi in canon:
                sends = self.mirrors[s].sends if s in self.mirrors else ()
                for i in range(lo, hi):
                    send = sends[i]
                    if send is not None and owner.get(send) == client:
                        if send < last:
                            return False
                        last = send
        return self._opt_ordered(client, opt, last)

    def _opt_ordered(self, client, opt, last) -> bool:
        """Do the client's optimistic entries keep send order after its newest canonical one, ``last``?"""
        owner = self.send_client
        for send in opt:
            if owner.get(send) == client:
                if send < last:
                    return False
                last = send
        return True

    def _track_session(self, t: float, m) -> None:
        """Divergence timing of every client of ``m``'s session (after the server's flags changed)."""
        views, since = self.views, self.since
        full, mflags = m.full, m.flags
        for c in m.clients:
            canon, opt, flags = views[c]
            n = len(canon)  # m.matches(canon, opt, flags), inline (every flags change)
            equal = (not opt and flags == mflags
                     and (canon == full or ((n > 1 or (n == 1 and canon[0][2] <= canon[0][1]))
                                            and normalize(canon) == full)))
            began = since[c]
            if equal == (began is None):
                continue
            if equal:
                self.diverged_time += t - began
                since[c] = None
            else:
                since[c] = t

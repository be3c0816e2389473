"""Part of ``Monitor``: the quiescence checks (``convergence``, ``no-orphan``'s leftovers and
``no-silent-loss``), run when the system becomes quiescent (SPEC §3, §2.6) and at a checked end."""

# mypy: disable-error-code="misc"
# (it assigns slots of Monitor, which declares them; mypy checks the __slots__ = () below)

from __future__ import annotations

from typing import TYPE_CHECKING

from model.compiled import mypyc_attr
from model.observe import Observer

if TYPE_CHECKING:
    from model.checkers.mirror import Mirror


@mypyc_attr(allow_interpreted_subclasses=True)
class QuiescenceChecks(Observer):
    """Base of ``Monitor`` (through ``ViewChecks``): reads and writes the Monitor's state (see
    ``Monitor.__init__``). A base, not a mixin, so that the MRO is one line (a compiled class has
    one base, README: A compiled build); the attributes declared here are the ones it reads."""

    __slots__ = ()
    seq: int
    views: list[tuple]
    own: list[Mirror]
    q_opt: list[tuple]
    q_equal: list[bool]
    since: list[float | None]
    unresolved: tuple[int, ...]
    converged: bool
    diverged_time: float
    quiescent_t: float | None
    end_t: float | None

    def _violate(self, inv: str, t: float, detail: str) -> None:
        raise NotImplementedError  # Monitor's

    def quiescent(self, t: float):
        """The system has just *become* quiescent (SPEC §3): the quiescence checks, in full."""
        self.seq += 1
        self.quiescent_t = t
        self._quiescence_checks(t, False)

    def _quiescence_checks(self, t: float, only_new: bool) -> None:
        """convergence, no-orphan and no-silent-loss; ``only_new`` counts only episodes that began
        since the last check (a client that has since stopped matching the server, an optimistic
        entry that has since appeared): the end of a run on an input that left the system
        quiescent, where the SPEC's instants of becoming quiescent have all been checked."""
        converged = True
        own = self.own
        q_opt, q_equal = self.q_opt.copy(), self.q_equal.copy()  # written by replacement
        for c, (canon, opt, flags) in enumerate(self.views):
            equal = own[c].matches(canon, opt, flags)
            if not equal:
                converged = False
                if not (only_new and not q_equal[c]):
                    self._violate("convergence", t,
                                  f"client {c}'s view differs from the server at quiescence")
            for send in opt:
                if not (only_new and send in q_opt[c]):
                    self._violate("no-orphan", t, f"client {c} still shows send {send} as "
                                                  "optimistic at quiescence")
            q_equal[c], q_opt[c] = equal, opt
        self.q_opt, self.q_equal = q_opt, q_equal
        if not only_new:
            self.converged = converged
        if self.unresolved:
            for send in sorted(self.unresolved):
                self._violate("no-silent-loss", t, f"send {send} was never committed and never shown failed")
            self.unresolved = ()

    def end(self, t: float, checked):
        self.seq += 1
        if checked:
            self._quiescence_checks(t, True)
        for c, since in enumerate(self.since):
            if since is not None:
                self.diverged_time += t - since
                self.since[c] = None
        self.end_t = t

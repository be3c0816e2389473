"""Per-send lifecycle tracking through the seed's chart (SPEC §5): chart gaps counted, with examples.

Each send walks the compiled transition table. An observed step the seed's diagram does not allow from
the send's current state is a chart gap ``(state, event, target)``; the send then continues from the
event's natural target, so a completed chart is the seed's transitions plus every gap observed.
"""

from __future__ import annotations

from model.lifecycle import SEED_INITIAL, SEED_TABLE

USER_SENDS = "User sends message"
ADD_TO_UI = "Add message to UI immediately"
RESPONDS_200 = "Backend responds 200"
BACKEND_ERROR = "Backend error"
POST_LOGGED = "POST logged, wait for SSE"
REMOVE = "Remove optimistic message"
SSE_DELIVERS = "SSE delivers canonical state"
UI_UPDATED = "UI updated from SSE"
SHOW_ERROR = "Show error, continue"
# Steps the seed's document performs or implies but its diagram has no label for.
RETRY = "Retry POST"
VALIDATION = "Validation error"
POST_APPLIES = "POST response applies state"

TARGET = {event: target for (_state, event), target in SEED_TABLE.items()}
TARGET.update({RETRY: "POSTSending", VALIDATION: "SSEConnected", POST_APPLIES: "SSEConnected"})


class Lifecycle:
    """Tracks every send through the chart table; counts gaps by kind with a first example each."""

    def __init__(self, table: dict | None = None, initial: str = SEED_INITIAL):
        self.table = SEED_TABLE if table is None else table
        self.initial = initial
        self.state: dict[int, str] = {}
        self.gaps: dict[tuple[str, str, str], int] = {}
        self.examples: dict[tuple[str, str, str], dict] = {}
        # (state, first, second) -> target of two steps the table allows in a row: one lookup
        self.pairs = _pairs(self.table)

    @property
    def total(self) -> int:
        return sum(self.gaps.values())

    def fire(self, t: float, seq: int, send: int, event: str) -> None:
        state = self.state.get(send, self.initial)
        target = self.table.get((state, event))
        if target is None:
            target = TARGET[event]
            kind = (state, event, target)
            self.gaps[kind] = self.gaps.get(kind, 0) + 1
            if kind not in self.examples:
                self.examples[kind] = {"t": round(t, 9), "seq": seq, "send": send}
        self.state[send] = target

    def fire2(self, t: float, seq: int, send: int, first: str, second: str) -> None:
        """``fire(first)`` then ``fire(second)`` in one call; one lookup when neither step is a gap."""
        state = self.state.get(send, self.initial)
        target = self.pairs.get((state, first, second))
        if target is None:  # a gap on the way (rare): step by step
            self.fire(t, seq, send, first)
            self.fire(t, seq, send, second)
            return
        self.state[send] = target

    def answered(self, t, seq, send, ok: bool):
        if ok:
            self.fire2(t, seq, send, RESPONDS_200, POST_LOGGED)
        else:
            self.fire(t, seq, send, BACKEND_ERROR)

    def failed(self, t, seq, send):
        if self.state.get(send) == "OptimisticUpdate":
            self.fire(t, seq, send, VALIDATION)
        else:
            self.fire2(t, seq, send, REMOVE, SHOW_ERROR)

    def summary(self) -> list[dict]:
        return [{"from": s, "event": e, "to": d, "count": n, "example": self.examples[(s, e, d)]}
                for (s, e, d), n in sorted(self.gaps.items(), key=lambda kv: (-kv[1], kv[0]))]


def _pairs(table: dict) -> dict:
    """Two-step paths of ``table`` for the step pairs the tracker fires together."""
    out = {}
    for first, second in ((RESPONDS_200, POST_LOGGED), (REMOVE, SHOW_ERROR), (SSE_DELIVERS, UI_UPDATED)):
        for (state, event), middle in table.items():
            if event == first and (middle, second) in table:
                out[(state, first, second)] = table[(middle, second)]
    return out

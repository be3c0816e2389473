"""What a client module renders, as a trace view (SPEC §6.1).

A render is entries in display order, ``{content, sender, optimistic, key}``, and the flags. Its
view is ``(canonical runs, optimistic sends, (is_typing, is_processing))``: canonical entries are
matched in order to the committed logs by (sender, content), the client's own session first, and
compressed into runs; an optimistic entry stands for the send its ``key`` was first seen with (a key
that appears in a send's step is that send's), else for the earliest send of the client with that
content not yet in the view. The trace's view form puts optimistic entries after the canonical ones,
so a client that interleaves them is read in that form (the order among each kind is kept).
"""

from __future__ import annotations

from model.errors import SsesimError


def entries_view(render: dict, client: int, keys: dict, sent: list, logs: dict, session: str,
                 step_send: int | None) -> tuple:
    """The view of ``render``; ``keys`` (entry key -> send) learns the keys seen in a send's step."""
    canonical, optimistic = [], []
    used: set[int] = set()
    cursor = {name: 0 for name in logs}
    for e in render["entries"]:
        if e["optimistic"]:
            send = _send_of(e, keys, sent, used, step_send)
            if send is not None:
                used.add(send)
                optimistic.append(send)
            continue
        canonical.append(_match(e, logs, session, cursor, client))
    return _runs(canonical), tuple(optimistic), tuple(render["flags"])


def _send_of(e: dict, keys: dict, sent: list, used: set, step_send: int | None) -> int | None:
    key = e["key"]
    if key is not None and key in keys:
        return keys[key]
    if key is not None and step_send is not None and step_send not in keys.values():
        keys[key] = step_send
        return step_send
    for content, send in sent:
        if content == e["content"] and send not in used:
            if key is not None:
                keys[key] = send
            return send
    return None


def _match(e: dict, logs: dict, session: str, cursor: dict, client: int) -> tuple[str, int]:
    """(session, index) of a canonical entry: the next match in order, else any match."""
    want = (e["sender"], e["content"])
    order = [session] + sorted(n for n in logs if n != session)
    for name in order:
        log = logs.get(name, [])
        start = cursor.get(name, 0) if name == session else 0
        for i in (*range(start, len(log)), *range(start)):
            if log[i] == want:
                if name == session:
                    cursor[name] = i + 1
                return name, i
    raise SsesimError(f"client {client} shows {e['sender']} message {e['content']!r}, which no "
                      "session committed")


def _runs(items: list[tuple[str, int]]) -> tuple:
    runs: list[list] = []
    for name, i in items:
        if runs and runs[-1][0] == name and runs[-1][2] == i:
            runs[-1][2] = i + 1
        else:
            runs.append([name, i, i + 1])
    return tuple((name, lo, hi) for name, lo, hi in runs)

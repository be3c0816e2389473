"""The README documents the plug-in interface as the code has it (issue 23, item 10): every public
member of ``SessionView`` and every field of ``Message``, in the tuple's order, with a type."""

from __future__ import annotations

import re
from pathlib import Path

from model.strategies import SessionView
from model.vocab import Message

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
SECTION = README[README.index("## Plug-in strategies"):README.index("## Libraries, and why")]


def table_after(heading: str) -> list[list[str]]:
    start = SECTION.index(heading)
    rows = []
    for line in SECTION[start:].splitlines()[1:]:
        if rows and not line.startswith("|"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows[1:]  # without the header row


def test_every_message_field_is_documented_in_order_with_a_type():
    rows = table_after("`message()` returns a `Message`")
    assert [r[0].strip("`") for r in rows] == list(Message._fields)
    assert all(r[1] for r in rows)


def test_every_session_view_member_is_documented():
    rows = table_after("Its\nwhole interface:")
    documented = [re.match(r"`(\w+)", r[0]).group(1) for r in rows]
    public = [n for n in dir(SessionView) if not n.startswith("_")]
    assert sorted(documented) == sorted(public)
    assert all("→" in r[1] for r in rows)

"""JSON Lines traces: a writer (an Observer that records every observation) and a checker that replays one.

Each line is ``{"seq", "t", "kind", ...fields}``; the kinds and their fields are the methods of
``model.observe.Observer`` and are documented in the README. ``check_trace`` feeds a recorded trace to the
same ``Monitor`` the simulator uses, so a trace from ``run --trace`` gives the counts ``run`` gave.
"""

from __future__ import annotations

import json
import math
import os
from contextlib import contextmanager
from pathlib import Path

from model.errors import InputError
from model.invariants import Monitor
from model.observe import Observer
from simulations.io.files import make_folder, temp_file

# kind -> ordered (field, type) pairs; the Observer method takes (t, *fields) except config.
FIELDS: dict[str, tuple[tuple[str, object], ...]] = {
    "config": (("scenario", str), ("strategy", str), ("seed", int), ("sessions", list)),
    "send": (("client", int), ("send", int), ("content", str)),
    "post": (("client", int), ("send", int), ("attempt", int), ("fault", str)),
    "arrive": (("client", int), ("send", int), ("attempt", int), ("outcome", str), ("status", "int?")),
    "commit": (("session", str), ("index", int), ("send", "int?"), ("sender", str), ("version", int),
               ("typing", bool), ("processing", bool)),
    "flags": (("session", str), ("version", int), ("typing", bool), ("processing", bool)),
    "push": (("session", str), ("client", int), ("conn", int), ("version", int), ("bytes", int)),
    "response": (("client", int), ("send", int), ("attempt", int), ("status", int)),
    "timeout": (("client", int), ("send", int), ("attempt", int)),
    "deliver": (("client", int), ("conn", int), ("version", int)),
    "apply": (("client", int), ("version", int), ("source", str)),
    "view": (("client", int), ("cause", str), ("view", "view")),
    "error": (("client", int), ("send", int)),
    "rollback": (("client", int), ("send", int), ("before", "view"), ("after", "view")),
    "unconfirmed": (("client", int), ("send", int)),
    "disconnect": (("client", int), ("conn", int), ("awaiting", int)),
    "reconnect": (("client", int), ("conn", int), ("resume", str)),
    "quiescent": (),
    "end": (("checked", bool),),
}


def encode_view(view: tuple) -> dict:
    canon, opt, flags = view
    return {"canonical": [list(run) for run in canon], "optimistic": list(opt), "flags": list(flags)}


@contextmanager
def traced(path, inner: Observer):
    """``inner``, or a TraceWriter forwarding to it when ``path`` is set; the trace file appears
    only when the block finishes (an exception removes the temp file)."""
    if path is None:
        yield inner
        return
    writer = TraceWriter(path, inner)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
    writer.close()


class TraceWriter(Observer):
    """Writes every observation as one JSON line (to a temp file renamed on close) and forwards it."""

    def __init__(self, path, inner: Observer):
        self.path = Path(path)
        self.inner = inner
        self.seq = 0
        make_folder(self.path.parent, "--trace")
        try:  # 0644 and named like every output's temporary file (a killed run's is cleaned later)
            fd, self.tmp = temp_file(self.path)
        except OSError as exc:
            raise InputError(str(self.path), "--trace", f"cannot write: {exc.strerror}") from None
        self.fh = os.fdopen(fd, "w", encoding="utf-8")

    def _write(self, t, kind, fields: dict) -> None:
        self.seq += 1
        record = {"seq": self.seq, "t": t, "kind": kind}
        record.update(fields)
        self.fh.write(json.dumps(record, separators=(",", ":")) + "\n")

    def close(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.fh.close()
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


def _make(kind: str):
    names = [name for name, _ in FIELDS[kind]]

    def method(self, *args):
        if kind == "config":
            self._write(0.0, kind, dict(zip(names, args)))
        else:
            fields = dict(zip(names, args[1:]))
            for name, typ in FIELDS[kind]:
                if typ == "view":
                    fields[name] = encode_view(fields[name])
            self._write(args[0], kind, fields)
        getattr(self.inner, kind)(*args)

    method.__name__ = kind
    return method


for _kind in FIELDS:
    setattr(TraceWriter, _kind, _make(_kind))


def _decode_view(value, where: str, line: int, key: str) -> tuple:
    def bad(problem):
        raise InputError(where, f"line {line}: {key}", problem)

    if not isinstance(value, dict):
        bad("must be an object with canonical, optimistic, flags")
    canon = value.get("canonical", [])
    opt = value.get("optimistic", [])
    flags = value.get("flags", [False, False])
    if not isinstance(canon, list) or not all(
            isinstance(r, list) and len(r) == 3 and isinstance(r[0], str)
            and all(isinstance(x, int) and not isinstance(x, bool) for x in r[1:]) and 0 <= r[1] <= r[2]
            for r in canon):
        bad("canonical must be a list of [session, lo, hi] runs with 0 <= lo <= hi")
    if not isinstance(opt, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in opt):
        bad("optimistic must be a list of send ids (integers)")
    if not (isinstance(flags, list) and len(flags) == 2 and all(isinstance(f, bool) for f in flags)):
        bad("flags must be [is_typing, is_processing] booleans")
    return tuple(tuple(r) for r in canon), tuple(opt), tuple(flags)


def _check_type(value, typ, where, line, key):
    ok = {
        int: isinstance(value, int) and not isinstance(value, bool),
        "int?": value is None or (isinstance(value, int) and not isinstance(value, bool)),
        str: isinstance(value, str),
        bool: isinstance(value, bool),
        list: isinstance(value, list),
    }.get(typ, True)
    if not ok:
        name = {int: "an integer", "int?": "an integer or null", str: "a string", bool: "a boolean",
                list: "a list"}[typ]
        raise InputError(where, f"line {line}: {key}", f"must be {name}, got {json.dumps(value)}")


def replay(path, monitor: Monitor) -> Monitor:
    """Feed every record of the trace at ``path`` to ``monitor``; malformed input raises InputError."""
    where = str(path)
    configured = False
    for line_no, line in _lines(path):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(where, f"line {line_no}", f"not JSON: {exc.msg}") from None
        if not isinstance(rec, dict):
            raise InputError(where, f"line {line_no}", "must be a JSON object")
        kind = rec.get("kind")
        if kind not in FIELDS:
            raise InputError(where, f"line {line_no}: kind",
                             f"unknown kind {kind!r}; one of {', '.join(FIELDS)}")
        t = rec.get("t")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise InputError(where, f"line {line_no}: t", "must be a finite number")
        args = []
        for name, typ in FIELDS[kind]:
            if name not in rec:
                raise InputError(where, f"line {line_no}: {name}", f"missing (a {kind} record needs it)")
            value = rec[name]
            if typ == "view":
                value = _decode_view(value, where, line_no, name)
            else:
                _check_type(value, typ, where, line_no, name)
            args.append(value)
        if kind == "config":
            if configured:
                raise InputError(where, f"line {line_no}", "a second config record")
            if not args[3] or not all(isinstance(s, str) for s in args[3]):
                raise InputError(where, f"line {line_no}: sessions",
                                 "must be a non-empty list of session names (strings)")
            configured = True
            monitor.config(*args)
            continue
        if not configured:
            raise InputError(where, f"line {line_no}", "the first record must be a config record")
        _check_refs(kind, rec, monitor, where, line_no)
        getattr(monitor, kind)(float(t), *args)
    if not configured:
        raise InputError(where, None, "empty trace (no config record)")
    return monitor


def _lines(path):
    """(number, text) of every line; an unreadable file is one InputError."""
    try:
        with open(path, encoding="utf-8") as fh:
            yield from enumerate(fh, 1)
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(str(path), None, "not UTF-8 text") from None


def _check_refs(kind, rec, monitor: Monitor, where, line_no):
    n = len(monitor.client_session)
    if "client" in rec and not 0 <= rec["client"] < n:
        raise InputError(where, f"line {line_no}: client", f"names client {rec['client']}, config has {n}")
    if kind == "flags" and rec["session"] not in monitor.mirrors:
        raise InputError(where, f"line {line_no}: session", f"unknown session {rec['session']!r}")
    if kind == "commit":
        m = monitor.mirrors.get(rec["session"])
        if m is None:
            raise InputError(where, f"line {line_no}: session", f"unknown session {rec['session']!r}")
        if rec["index"] != len(m.sends):
            raise InputError(where, f"line {line_no}: index",
                             f"expected {len(m.sends)} (commits are appended in order)")
    if kind in ("view", "rollback"):
        for key in ("view", "before", "after"):
            if key in rec:
                for s, lo, hi in rec[key].get("canonical", []):
                    m = monitor.mirrors.get(s)
                    if m is None or hi > len(m.sends):
                        raise InputError(where, f"line {line_no}: {key}.canonical",
                                         f"run [{s}, {lo}, {hi}] names messages not committed yet")

"""JSON Lines traces: a writer (an Observer that records every observation) and a checker that replays one.

Each line is ``{"seq", "t", "kind", ...fields}``; the kinds and their fields are the methods of
``model.observe.Observer``, declared once in ``simulations.io.schema.trace`` (``ssesim schema trace``)
and documented in the README. ``replay`` feeds a recorded trace to the same ``Monitor`` the simulator
uses, so a trace from ``run --trace`` gives the counts ``run`` gave; it checks every line strictly
(its fields, ``seq`` counting up by one, time never going back, references to earlier lines).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from model.errors import InputError
from model.invariants import Monitor
from model.observe import Observer
from simulations.io.files import make_folder, temp_file
from simulations.io.schema.base import JSON, input_error, read_json, shown
from simulations.io.schema.trace import FIELDS, OPTIONAL, line

MAX_LINE_BYTES = 16 * 1024 * 1024  # one record; a message is at most 1 MB

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
    optional = OPTIONAL[kind]

    def method(self, *args):
        if kind == "config":
            self._write(0.0, kind, dict(zip(names, args)))
        else:
            fields = dict(zip(names, args[1:]))
            for name, is_view in FIELDS[kind]:
                if is_view:
                    fields[name] = encode_view(fields[name])
            for name, default in optional.items():  # left out at their default (older traces lack them)
                if fields.get(name, default) == default:
                    fields.pop(name, None)
            self._write(args[0], kind, fields)
        getattr(self.inner, kind)(*args)

    method.__name__ = kind
    return method


for _kind in FIELDS:
    setattr(TraceWriter, _kind, _make(_kind))


def _decode_view(value: dict) -> tuple:
    return (tuple(tuple(run) for run in value["canonical"]), tuple(value["optimistic"]),
            tuple(value["flags"]))


def replay(path, monitor: Monitor) -> Monitor:
    """Feed every record of the trace at ``path`` to ``monitor``; malformed input raises InputError."""
    where = str(path)
    configured = ended = False
    last_seq, last_t = 0, 0.0
    validate_line = line().validate_python
    for line_no, raw in _lines(path):
        if not raw.strip(b" \t\r\n"):
            continue
        at = f"line {line_no}"
        rec = read_json(raw, where, at)
        if not isinstance(rec, dict):
            raise InputError(where, at, f"must be a JSON object, got {shown(rec, JSON)}")
        try:
            validate_line(rec)
        except ValidationError as exc:
            raise input_error(exc, rec, where, JSON, at) from None
        kind, seq, t = rec["kind"], rec["seq"], rec["t"]
        if seq != last_seq + 1:
            raise InputError(where, f"{at}: seq", f"must be {last_seq + 1} (one more than the record "
                                                  f"before), got {seq}")
        if t < last_t:
            raise InputError(where, f"{at}: t", f"goes back in time: {t:g} after {last_t:g}")
        if ended:
            raise InputError(where, at, "a record after the end record")
        last_seq, last_t = seq, t
        optional = OPTIONAL[kind]
        args = [_decode_view(rec[name]) if is_view else rec.get(name, optional.get(name))
                for name, is_view in FIELDS[kind]]
        if kind == "config":
            if configured:
                raise InputError(where, at, "a second config record")
            configured = True
            monitor.config(*args)
            continue
        if not configured:
            raise InputError(where, at, "the first record must be a config record")
        _check_refs(kind, rec, monitor, where, line_no)
        ended = kind == "end"
        try:
            getattr(monitor, kind)(float(t), *args)
        except Exception as exc:  # noqa: BLE001 -- an outside trace the checkers cannot follow is bad input
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            raise InputError(where, at, f"a {kind} record that does not follow from the records "
                                        f"before it (the checkers failed: {detail})") from None
    if not configured:
        raise InputError(where, None, "empty trace (no config record)")
    return monitor


def _lines(path):
    """(number, bytes) of every line; an unreadable file or an overlong line is one InputError."""
    try:
        with open(path, "rb") as fh:
            line_no = 0
            while True:
                raw = fh.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                line_no += 1
                if len(raw) > MAX_LINE_BYTES:
                    raise InputError(str(path), f"line {line_no}",
                                     f"longer than {MAX_LINE_BYTES // 2**20} MiB; not a trace record")
                yield line_no, raw
    except IsADirectoryError:
        raise InputError(str(path), None, "is a directory, not a trace") from None
    except FileNotFoundError:
        raise InputError(str(path), None, "no such file") from None
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror or exc}") from None


def _check_refs(kind, rec, monitor: Monitor, where, line_no):
    at = f"line {line_no}"
    n = len(monitor.client_session)
    if "client" in rec and not 0 <= rec["client"] < n:
        raise InputError(where, f"{at}: client", f"names client {rec['client']}, config has {n}")
    if kind in _SEND_REFS and rec["send"] not in monitor.send_client:
        raise InputError(where, f"{at}: send", f"names send {rec['send']}, which no send record before "
                                               "it introduced")
    if kind == "send" and rec["send"] in monitor.send_client:
        raise InputError(where, f"{at}: send", f"send {rec['send']} was already introduced")
    if kind in ("flags", "push") and rec["session"] not in monitor.mirrors:
        raise InputError(where, f"{at}: session", f"unknown session {rec['session']!r}")
    if kind == "commit":
        m = monitor.mirrors.get(rec["session"])
        if m is None:
            raise InputError(where, f"{at}: session", f"unknown session {rec['session']!r}")
        if rec["index"] != len(m.sends):
            raise InputError(where, f"{at}: index", f"expected {len(m.sends)} (commits are appended in order)")
        if rec["send"] is not None and rec["send"] not in monitor.send_client:
            raise InputError(where, f"{at}: send", f"names send {rec['send']}, which no send record before "
                                                   "it introduced")
    if kind in ("view", "rollback"):
        for key in ("view", "before", "after"):
            if key in rec:
                for s, lo, hi in rec[key]["canonical"]:
                    m = monitor.mirrors.get(s)
                    if m is None or hi > len(m.sends):
                        raise InputError(where, f"{at}: {key}.canonical",
                                         f"run [{json.dumps(s)}, {lo}, {hi}] names messages not "
                                         "committed yet")


_SEND_REFS = ("post", "arrive", "response", "timeout", "error", "rollback", "unconfirmed")

"""``check-trace`` reads the trace format strictly (issue 13, item 7): each line against the declared
record of its kind, ``seq`` counting up by one, time never going back, references to earlier lines;
every problem is one whole sentence naming the line."""

from __future__ import annotations

import json
import re

import pytest

from simulations.cli import main
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario

SCENARIOS = {p.stem: p for p in builtin_scenarios()}


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[dict]:
    path = tmp_path_factory.mktemp("trace") / "source.jsonl"
    simulate(load_scenario(SCENARIOS["two-quick-sends"]), strategy="seed", trace_path=path)
    return [json.loads(line) for line in path.read_text().splitlines()]


def check(tmp_path, capsys, lines) -> tuple[int, str]:
    path = tmp_path / "t.jsonl"
    data = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    status = main(["check-trace", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if status == 2:
        assert err.count("\n") == 1 and str(path) in err, err
    return status, err


def edit(records, i, **fields):
    out = [dict(r) for r in records]
    out[i].update(fields)
    return out


def test_a_recorded_trace_is_accepted(tmp_path, capsys, records):
    assert check(tmp_path, capsys, records)[0] == 1  # the seed's flicker, as `run` found it


@pytest.mark.parametrize(("change", "line", "words"), [
    (lambda rs: edit(rs, 1, seq="2"), 2, "seq: must be an integer"),
    (lambda rs: edit(rs, 1, seq=3), 2, "seq: must be 2 (one more than the record before), got 3"),
    (lambda rs: edit(rs, 0, seq=0), 1, "seq: must be an integer >= 1"),
    (lambda rs: rs[:3] + rs[4:], 4, "seq: must be 4"),
    (lambda rs: rs[:3] + [rs[3]] + rs[3:], 5, "seq: must be 5"),
    (lambda rs: edit(rs, 5, t=rs[4]["t"] - 0.001), 6, "t: goes back in time"),
    (lambda rs: edit(rs, 2, t=-1.0), 3, "t: must be a number of seconds >= 0"),
    (lambda rs: edit(rs, 2, extra=1), 3, "extra: unknown key"),
    (lambda rs: edit(rs, 2, client=True), 3, "client: must be an integer"),
    (lambda rs: rs + [{"seq": len(rs) + 1, "t": rs[-1]["t"], "kind": "quiescent"}], None,
     "a record after the end record"),
    (lambda rs: edit(rs, 1, kind="teleport"), 2, 'kind: must be one of config, send'),
    (lambda rs: [{k: v for k, v in r.items() if k != "kind"} if i == 1 else r for i, r in enumerate(rs)],
     2, "kind: missing (one of config, send"),
])
def test_malformed_records_are_named_by_line(tmp_path, capsys, records, change, line, words):
    rs = change(records)
    status, err = check(tmp_path, capsys, rs)
    assert status == 2
    assert f"line {line if line is not None else len(rs)}" in err, err
    if words:
        assert words in err, err


def test_a_send_record_introduces_the_send_its_followers_name(tmp_path, capsys, records):
    post = next(i for i, r in enumerate(records) if r["kind"] == "post")
    status, err = check(tmp_path, capsys, edit(records, post, send=9))
    assert status == 2 and f"line {post + 1}: send: names send 9" in err


@pytest.mark.parametrize("garbage", [b"\x0b\x0c\x1c\x1d\x1e\x1f\n", b"\x00\x00\x00\n", b"\xff\xfe\x00garbage\n",
                                     b"\x85\n" * 3, bytes(range(256))])
def test_binary_garbage_is_not_an_empty_trace(tmp_path, capsys, garbage):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(garbage)
    assert main(["check-trace", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 1" in err and "empty" not in err, err


@pytest.mark.parametrize(("text", "sentence"), [
    ('{"seq": 1, "t": 0, "kind": "config", "scenario": "x', r"unterminated string starting at column \d+"),
    ('{"seq": 1, "t": 0,', r"expecting property name enclosed in double quotes at column \d+"),
    ('{"seq": 1 "t": 0}', r"expecting ',' delimiter at column \d+"),
    ("[1, 2", r"expecting ',' delimiter at column \d+"),
])
def test_a_bad_line_is_a_whole_sentence(tmp_path, capsys, text, sentence):
    path = tmp_path / "cut.jsonl"
    path.write_text(text + "\n")
    assert main(["check-trace", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert re.search(f"line 1: invalid JSON: {sentence}$", err), err


def test_a_line_that_is_not_utf8_is_named(tmp_path, capsys, records):
    path = tmp_path / "latin.jsonl"
    send = next(i for i, r in enumerate(records) if r["kind"] == "send")
    lines = [json.dumps(r).encode() for r in records[:send + 1]]
    lines[send] = lines[send].replace(b'"A"', b'"\xe9"')
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert main(["check-trace", str(path)]) == 2
    assert f"line {send + 1}: not UTF-8 text" in capsys.readouterr().err


def test_blank_lines_between_records_are_allowed(tmp_path, capsys, records):
    lines = [json.dumps(r) for r in records]
    lines.insert(2, "  \t")
    assert check(tmp_path, capsys, lines)[0] == 1

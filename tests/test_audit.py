"""The JSON Lines audit log: one line per record, whole, even under concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gitward.audit import log as audit

WRITER = """
import sys
from pathlib import Path
from gitward.audit import log as audit
path, who = Path(sys.argv[1]), sys.argv[2]
pad = "x" * 3000  # larger than PIPE_BUF: O_APPEND alone would not be enough everywhere
for i in range(500):
    audit.append(path, {"time": audit.now(), "event": "test", "actor": who, "i": i, "pad": pad})
"""


def test_two_processes_appending_500_lines_each(tmp_path: Path) -> None:
    log = tmp_path / "deep" / "audit.jsonl"  # the parent directory is created
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(log), who]) for who in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    lines = log.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every record ends with a newline
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 1000
    for who in ("a", "b"):
        # Nothing lost, nothing duplicated, and each writer's lines stay in order.
        assert [r["i"] for r in records if r["actor"] == who] == list(range(500))


def test_records_are_single_lines_of_strict_json(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    when = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    audit.append(
        log,
        {
            "time": when,
            "event": "x",
            "actor": "a",
            "msg": "two\nlines\x1b[31m",
            "day": date(2026, 5, 1),
            "path": tmp_path,
            "set": {"b", "a"},
        },
    )
    audit.append(log, {"time": audit.now(), "event": "y", "actor": "b"})
    first, second = log.read_text().splitlines()
    record = json.loads(first)
    assert record["time"] == "2026-05-01T12:00:00Z"
    assert record["msg"] == "two\nlines\x1b[31m"  # escaped inside the line, not raw
    assert record["day"] == "2026-05-01" and record["set"] == ["a", "b"]
    assert record["path"] == str(tmp_path)
    assert json.loads(second)["time"].endswith("Z")
    assert log.stat().st_mode & 0o777 == 0o640


def test_any_string_is_written_as_pure_ascii_json(tmp_path: Path) -> None:
    # A ref with a byte that is not UTF-8 (git allows it; Python keeps it as a lone surrogate),
    # a bidi override and a C1 CSI: the write must not fail, and an admin who `cat`s the log
    # must not get them raw on the terminal.
    log = tmp_path / "audit.jsonl"
    hostile = ["refs/heads/x\udcff", "\u202e", "\x9b31m", "\ud800", "Zoë \x1b[2J"]
    for text in hostile:
        audit.append(log, {"time": "t", "event": "push", "actor": text, "ref": text})
    data = log.read_bytes()
    assert data.isascii()
    records = [json.loads(line) for line in data.decode("ascii").splitlines()]
    assert [(r["actor"], r["ref"]) for r in records] == [(t, t) for t in hostile]


def test_unencodable_records_are_refused_before_writing(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with pytest.raises(ValueError, match="JSON compliant"):
        audit.append(log, {"time": "t", "event": "x", "actor": "a", "n": float("nan")})
    with pytest.raises(TypeError):
        audit.append(log, {"time": "t", "event": "x", "actor": "a", "o": object()})
    assert not log.exists()


def test_actor(monkeypatch: pytest.MonkeyPatch) -> None:
    assert audit.actor({"GITWARD_ACTOR": "ops-bot"}) == "ops-bot"
    monkeypatch.setenv("LOGNAME", "someone")
    assert audit.actor({}) == "someone"

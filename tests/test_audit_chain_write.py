"""The audit writer chains every line to the one before it: under concurrent writers too, after a
crash cut a line short, across a rotation that happens while a writer waits, and reading only
the last line however long the log is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gwpush import flocked

from gitward.audit import chain, link, rotate
from gitward.audit import log as audit


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def assert_chained(path: Path) -> None:
    """Every line's prev is the hash of the line before (the first: genesis), checked here
    without gitward's verifier, then with it."""
    previous = None
    for raw in lines(path):
        expected = link.GENESIS if previous is None else link.digest(previous)
        assert json.loads(raw)["prev"] == expected
        assert raw.endswith(b'"prev":"' + expected.encode() + b'"}\n')  # the last field
        previous = raw
    assert chain.state(path).intact


def test_each_line_carries_the_hash_of_the_line_before(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for i in range(3):
        audit.append(log, {"time": audit.now(), "event": "push", "actor": "a", "i": i})
    assert_chained(log)
    first = json.loads(lines(log)[0])
    assert list(first) == ["time", "event", "actor", "i", "prev"]  # the writer's order kept


def test_a_prev_given_by_the_caller_is_replaced(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append(log, {"prev": "sha256:" + "f" * 64, "event": "x"})
    audit.append(log, {})  # an empty record still gets its link
    assert lines(log)[0] == b'{"event":"x","prev":"' + link.GENESIS.encode() + b'"}\n'
    assert json.loads(lines(log)[1]) == {"prev": link.digest(lines(log)[0])}
    assert_chained(log)


def test_a_log_from_before_chaining_is_continued(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b'{"event":"push","old":1}\n{"event":"push","old":2}\n')
    audit.append(log, {"event": "push"})
    assert json.loads(lines(log)[2])["prev"] == link.digest(b'{"event":"push","old":2}\n')
    state = chain.state(log)
    assert state.intact and state.first_chained == (str(log), 3)


def test_a_line_cut_short_by_a_crash_is_ended_and_linked_to(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append(log, {"event": "push", "i": 0})
    with log.open("ab") as f:
        f.write(b'{"event":"push","i":1,"pr')  # power lost mid-write
    audit.append(log, {"event": "push", "i": 2})
    cut, last = lines(log)[1:]
    assert cut == b'{"event":"push","i":1,"pr\n'
    assert json.loads(last)["prev"] == link.digest(cut)
    state = chain.state(log)
    assert [(b.line, b.why.split(" (")[0]) for b in state.breaks] == [(2, "not a JSON object")]


WRITER = """
import sys
from pathlib import Path
from gitward.audit import log as audit
path, who, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
pad = "x" * 5000  # larger than PIPE_BUF and than the writer's read-back block
for i in range(count):
    audit.append(path, {"time": audit.now(), "event": "test", "actor": who, "i": i, "pad": pad})
"""


def test_concurrent_writers_keep_one_chain(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    writers = ["a", "b", "c", "d"]
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(log), who, "150"]) for who in writers
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * len(writers)
    records = [json.loads(raw) for raw in lines(log)]
    assert len(records) == 150 * len(writers)
    for who in writers:
        assert [r["i"] for r in records if r["actor"] == who] == list(range(150))
    assert_chained(log)
    assert chain.state(log).lines == 600


def test_a_writer_waiting_through_a_rotation_writes_to_the_new_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append(log, {"event": "push", "i": 0})
    fd, reader = audit.open_locked(log, None)  # as `gitward audit rotate` holds it
    waiter = threading.Thread(target=audit.append, args=(log, {"event": "push", "i": 1}))
    try:
        waiter.start()
        time.sleep(0.2)  # the waiter opened the old file and waits for its lock
        os.link(log, tmp_path / "old.jsonl")
        (tmp_path / "new.jsonl").write_bytes(b'{"event":"audit.rotate"}\n')
        (tmp_path / "new.jsonl").replace(log)
    finally:
        os.close(reader)
        os.close(fd)
    waiter.join(timeout=30)
    assert len(lines(tmp_path / "old.jsonl")) == 1  # nothing landed in the rotated file
    assert [json.loads(x).get("i") for x in lines(log)] == [None, 1]
    assert json.loads(lines(log)[1])["prev"] == link.digest(b'{"event":"audit.rotate"}\n')


def test_a_log_replaced_again_and_again_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"")
    real_lock = audit._lock

    def lock_then_replace(fd: int, deadline: object) -> None:
        real_lock(fd, None)
        (tmp_path / "next").write_bytes(b"")
        (tmp_path / "next").replace(log)  # replaced each time the writer got the lock

    monkeypatch.setattr(audit, "_lock", lock_then_replace)
    with pytest.raises(OSError, match="replaced 5 times"):
        audit.append(log, {"event": "push"})


def test_a_log_renamed_away_while_waiting_is_followed(tmp_path: Path) -> None:
    # logrotate without gitward: the old file renamed, the new one not there yet.
    log = tmp_path / "audit.jsonl"
    audit.append(log, {"event": "push", "i": 0})
    with flocked(log):
        waiter = threading.Thread(target=audit.append, args=(log, {"event": "push", "i": 1}))
        waiter.start()
        time.sleep(0.2)
        log.rename(tmp_path / "audit.jsonl.1")
    waiter.join(timeout=30)
    assert [json.loads(x)["prev"] for x in lines(log)] == [link.GENESIS]  # a new chain
    assert len(lines(tmp_path / "audit.jsonl.1")) == 1


@pytest.mark.parametrize("count", [10, 20_000])
def test_an_append_reads_the_last_line_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    log = tmp_path / "audit.jsonl"
    pad = "y" * 20_000  # the last line spans several read-back blocks
    with log.open("wb") as f:
        for i in range(count):
            f.write(audit.encode({"event": "push", "i": i}))
    audit.append(log, {"event": "push", "pad": pad})
    last = lines(log)[-1]
    read: list[int] = []
    real_pread = os.pread

    def counting(fd: int, n: int, offset: int) -> bytes:
        data = real_pread(fd, n, offset)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "pread", counting)
    monkeypatch.setattr(os, "read", lambda *a: pytest.fail("the writer read the log"))
    audit.append(log, {"event": "push", "i": "next"})
    # The same for 10 lines as for 20,000: the last line and at most one block more.
    assert len(last) <= sum(read) <= len(last) + link.CHUNK
    assert json.loads(lines(log)[-1])["prev"] == link.digest(last)


def test_last_line_of_an_empty_or_one_line_file(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"")
    fd = os.open(log, os.O_RDONLY)
    try:
        assert link.last_line(fd, 0) == b""
        assert link.next_link(fd, 0) == (b"", link.GENESIS)
    finally:
        os.close(fd)
    log.write_bytes(b"only\n")
    fd = os.open(log, os.O_RDONLY)
    try:
        assert link.last_line(fd, 5) == b"only\n"
        with pytest.raises(OSError, match="shrank"):
            link.last_line(fd, 50)  # the file is shorter than it was said to be
    finally:
        os.close(fd)


def test_is_link() -> None:
    assert link.is_link(link.GENESIS)
    assert link.is_link(link.digest(b"x\n"))
    for bad in (None, 7, "sha256:" + "A" * 64, "sha256:" + "0" * 63, "md5:" + "0" * 64):
        assert not link.is_link(bad)


def test_rotate_keeps_the_chain_and_the_log_refuses_nothing(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for i in range(3):
        audit.append(log, {"event": "push", "i": i})
    log.chmod(0o600)
    last = lines(log)[-1]
    done = rotate.rotate(log, "admin")
    assert done.lines == 3 and lines(done.old)[-1] == last
    first = json.loads(lines(log)[0])
    assert first["event"] == "audit.rotate" and first["actor"] == "admin"
    assert first["details"] == {"file": done.old.name, "lines": 3}
    assert first["prev"] == link.digest(last)
    assert log.stat().st_mode & 0o777 == 0o600  # the old file's mode
    audit.append(log, {"event": "push", "i": 3})
    assert chain.check([done.old, log]).intact
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_rotate_ends_a_line_cut_short_first(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append(log, {"event": "push"})
    with log.open("ab") as f:
        f.write(b'{"cut')
    done = rotate.rotate(log, "admin")
    assert done.old.read_bytes().endswith(b'{"cut\n') and done.lines == 2
    assert json.loads(lines(log)[0])["prev"] == link.digest(b'{"cut\n')


def test_rotate_refuses_what_it_cannot_rotate(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with pytest.raises(rotate.NothingToRotate):
        rotate.rotate(log, "admin")
    log.write_bytes(b"")
    with pytest.raises(rotate.NothingToRotate):
        rotate.rotate(log, "admin")
    audit.append(log, {"event": "push"})
    linked = tmp_path / "link.jsonl"
    linked.symlink_to(log)
    with pytest.raises(OSError, match="symbolic link"):
        rotate.rotate(linked, "admin")
    when = datetime(2026, 12, 1, tzinfo=UTC)
    done = rotate.rotate(log, "admin", when)
    assert done.old.name == "audit.jsonl.20261201T000000Z"
    before = log.read_bytes()
    # A second rotation in the same second: the name is taken; nothing changes.
    with pytest.raises(FileExistsError):
        rotate.rotate(log, "admin", when)
    assert log.read_bytes() == before


def test_rotate_undoes_its_link_when_the_new_log_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append(log, {"event": "push"})
    before = log.read_bytes()

    def chown(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", chown)
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 1)  # as if not the owner
    with pytest.raises(PermissionError):
        rotate.rotate(log, "admin")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl"]
    assert log.read_bytes() == before

"""`chain.check` finds every change to a log at the right line: deleted, edited, swapped,
inserted, cut-off head, garbled or cut-short lines, a file that does not continue the one rotated
before it; and it reads logs written before chaining, or while writers append."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from gwpush import flocked

from gitward.audit import chain, lines, link, rotate
from gitward.audit import log as audit

Lines = list[bytes]


def make_log(path: Path, count: int = 8) -> Lines:
    for i in range(count):
        audit.append(path, {"time": audit.now(), "event": "push", "actor": "alice", "i": i})
    return path.read_bytes().splitlines(keepends=True)


def first_break(path: Path) -> tuple[int, str]:
    state = chain.state(path)
    assert not state.intact
    return state.breaks[0].line, state.breaks[0].why


def edit(line: bytes) -> bytes:
    return line.replace(b'"actor":"alice"', b'"actor":"mallory"')


def forged(before: bytes) -> bytes:
    """A line someone added, with a correct link to the line before it."""
    return link.seal(audit.encode({"event": "push", "actor": "mallory"}), link.digest(before))


# (change, the line that breaks, what the reason starts with)
CHANGES: list[tuple[str, Callable[[Lines], Lines], int, str]] = [
    ("delete line 4", lambda x: x[:3] + x[4:], 4, "prev is not the hash of line 3"),
    ("edit line 4", lambda x: [*x[:3], edit(x[3]), *x[4:]], 5, "prev is not the hash of line 4"),
    ("swap 4 and 5", lambda x: [*x[:3], x[4], x[3], *x[5:]], 4, "prev is not the hash of line 3"),
    ("insert at 4, linked", lambda x: [*x[:3], forged(x[2]), *x[3:]], 5, "prev is not the hash"),
    ("insert at 4, unlinked", lambda x: [*x[:3], x[0], *x[3:]], 4, "prev is not the hash"),
    ("insert at 4, no prev", lambda x: [*x[:3], b'{"event":"push"}\n', *x[3:]], 4, "no prev"),
    ("delete lines 1-2", lambda x: x[2:], 1, "prev is neither the start of a log"),
    ("garble line 4", lambda x: [*x[:3], b"{not json\n", *x[4:]], 4, "not a JSON object"),
    ("a list on line 4", lambda x: [*x[:3], b"[1]\n", *x[4:]], 4, "not a JSON object"),
    ("bad bytes on line 4", lambda x: [*x[:3], b'{"a":"\xff"}\n', *x[4:]], 4, "not a JSON"),
    ("blank line 4", lambda x: [*x[:3], b"\n", *x[3:]], 4, "not a JSON object"),
    ("cut the last line", lambda x: [*x[:7], x[7][:30]], 8, "the line is cut short"),
    (
        "malformed prev on line 4",
        lambda x: [*x[:3], x[3].replace(b'"prev":"sha256:', b'"prev":"md5:'), *x[4:]],
        4,
        "prev is not sha256: and 64 hex digits",
    ),
]


@pytest.mark.parametrize(("change", "tamper", "line", "why"), CHANGES, ids=[c[0] for c in CHANGES])
def test_a_change_is_found_at_the_right_line(
    tmp_path: Path, change: str, tamper: Callable[[Lines], Lines], line: int, why: str
) -> None:
    log = tmp_path / "audit.jsonl"
    original = make_log(log)
    assert chain.state(log).intact
    log.write_bytes(b"".join(tamper(original)))
    assert first_break(log)[0] == line
    assert first_break(log)[1].startswith(why)
    assert str(chain.state(log).breaks[0]).startswith(f"{log}:{line}: ")


def test_checking_goes_on_after_a_break(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    x = make_log(log, 10)
    log.write_bytes(b"".join([*x[:2], edit(x[2]), *x[3:6], b"garbage\n", *x[6:]]))
    state = chain.state(log)
    assert [b.line for b in state.breaks] == [4, 7, 8]  # after line 3's edit, around line 7
    assert state.broken == 3 and state.lines == 11


def test_many_breaks_are_counted_and_the_first_ones_kept(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"{}\n" + b"nope\n" * (chain.KEPT_BREAKS + 50))
    state = chain.state(log)
    assert state.broken == chain.KEPT_BREAKS + 50 and len(state.breaks) == chain.KEPT_BREAKS
    text = chain.summary(state)
    assert text[0] == f"{log}:2: not a JSON object (Expecting value at column 1)"
    assert text[10] == f"... and {chain.KEPT_BREAKS + 40} more broken lines"
    assert (
        text[-1]
        == f"{log}: chain BROKEN: {chain.KEPT_BREAKS + 50} lines broken, the first at {log}:2"
    )


def test_the_last_lines_removed_are_not_visible_in_the_file_alone(tmp_path: Path) -> None:
    # What a chain cannot show (docs/audit.md says so): the newest lines cut off.
    log = tmp_path / "audit.jsonl"
    x = make_log(log)
    log.write_bytes(b"".join(x[:5]))
    assert chain.state(log).intact


def test_a_log_written_before_chaining(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b'{"event":"push","n":1}\n{"event":"push","n":2}\n')
    state = chain.state(log)
    assert state.intact and state.first_chained is None
    assert chain.summary(state) == [f"{log}: no line is chained (2 lines written before chaining)"]
    make_log(log, 3)
    state = chain.state(log)
    assert state.intact and state.first_chained == (str(log), 3)
    assert chain.summary(state) == [
        f"{log}: lines 1-2 were written before chaining (not protected); the chain starts at "
        "line 3",
        f"{log}: chain intact (5 lines, head {state.head})",
    ]
    assert state.head == link.digest(log.read_bytes().splitlines(keepends=True)[-1])
    # An old line edited is not seen (not protected); a new line edited is.
    data = log.read_bytes()
    log.write_bytes(data.replace(b'"n":1', b'"n":9'))
    assert chain.state(log).intact
    log.write_bytes(data.replace(b'"i":0', b'"i":9'))
    assert first_break(log)[0] == 4


def test_an_empty_log_is_intact_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"")
    state = chain.state(log)
    assert state.intact and state.head is None and state.lines == 0
    assert chain.summary(state) == [f"{log}: empty (nothing recorded yet)"]
    with pytest.raises(FileNotFoundError):
        chain.state(tmp_path / "missing.jsonl")


def test_a_one_line_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    make_log(log, 1)
    assert chain.summary(chain.state(log)) == [
        f"{log}: chain intact (1 line, head {chain.state(log).head})"
    ]


def test_rotated_files_are_checked_as_one_chain(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    make_log(log, 4)
    done = rotate.rotate(log, "admin")
    make_log(log, 2)
    state = chain.state(log)  # alone: says what it continues, no break
    assert state.intact and state.continues == str(done.old)
    assert chain.summary(state)[0] == (
        f"{log}: line 1 continues the rotated file {done.old}; check that link too by giving "
        f"both, oldest first: gitward audit verify {done.old} {log}"
    )
    both = chain.check([done.old, log])
    assert both.intact and both.lines == 7 and both.head == state.head
    assert both.continues is None
    # The old file's last line removed afterwards: only the pair shows it.
    old_lines = done.old.read_bytes().splitlines(keepends=True)
    done.old.write_bytes(b"".join(old_lines[:-1]))
    assert chain.state(done.old).intact
    broken = chain.check([done.old, log])
    assert (broken.breaks[0].file, broken.breaks[0].line) == (str(log), 1)
    assert broken.breaks[0].why.startswith(f"does not continue {done.old}:")
    # Given in the wrong order.
    done.old.write_bytes(b"".join(old_lines))
    assert not chain.check([log, done.old]).intact


def test_a_new_chain_after_a_log_that_had_none_is_fine_but_not_after_a_chained_one(
    tmp_path: Path,
) -> None:
    old, new, chained = (tmp_path / n for n in ("old.jsonl", "new.jsonl", "chained.jsonl"))
    old.write_bytes(b'{"event":"push"}\n')
    make_log(new, 2)  # starts at genesis (as after logrotate's `create`)
    assert chain.check([old, new]).intact
    make_log(chained, 2)
    state = chain.check([chained, new])
    assert state.breaks[0][:2] == (str(new), 1)
    old.write_bytes(b'{"event":"push"}\n')
    assert chain.check([chained, old]).breaks[0].why.startswith("no prev")


def test_a_rotation_record_with_an_odd_file_name(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    first = {"event": chain.ROTATE_EVENT, "details": "?"}
    log.write_bytes(link.seal(audit.encode(first), link.digest(b"gone\n")))
    assert chain.state(log).continues == str(tmp_path / "None")


def test_a_line_being_written_is_waited_for_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "audit.jsonl"
    make_log(log, 2)
    with log.open("ab") as f:
        f.write(b'{"event":"push","half')
    # A writer holds the lock: the reader waits (here briefly), then reads what is there.
    monkeypatch.setattr(lines, "SHARE_WAIT", 0.2)
    with flocked(log):
        assert first_break(log) == (
            3,
            "the line is cut short (no newline at the end: a write a crash interrupted?)",
        )
    assert next(lines.backward(log)) == (
        log.stat().st_size - len(b'{"event":"push","half'),
        b'{"event":"push","half',
    )


def test_backward_reads_lines_longer_than_its_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "audit.jsonl"
    monkeypatch.setattr(lines, "BLOCK", 7)
    data = [b'{"a":1}\n', b'{"long":"' + b"z" * 30 + b'"}\n', b"{}\n", b'{"b":2}\n']
    log.write_bytes(b"".join(data))
    got = list(lines.backward(log))
    assert [line for _, line in got] == data[::-1]
    assert [offset for offset, _ in got] == [len(b"".join(data[:i])) for i in (3, 2, 1, 0)]
    assert [lines.line_number(log, offset) for offset, _ in got] == [4, 3, 2, 1]
    assert list(lines.backward(log, end=len(data[0]))) == [(0, data[0])]


def test_records_are_json_objects_checked_by_json(tmp_path: Path) -> None:
    # A line that parses but whose object has an unusual key order still links by its bytes.
    log = tmp_path / "audit.jsonl"
    line = b'{"prev":"' + link.GENESIS.encode() + b'","event":"push"}\n'
    log.write_bytes(line)
    audit.append(log, {"event": "push"})
    assert chain.state(log).intact
    assert json.loads(log.read_bytes().splitlines()[1])["prev"] == link.digest(line)


def test_a_reader_stops_where_the_log_ended_when_it_started(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    make_log(log, 2)
    reading = lines.forward(log)
    first = next(reading)
    make_log(log, 2)  # written while the reader reads
    assert [first, *reading] == log.read_bytes().splitlines(keepends=True)[:2]


def test_reading_an_empty_log_backwards_and_past_its_end(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"")
    assert list(lines.backward(log)) == []
    log.write_bytes(b"{}\n{}\n")
    assert lines.line_number(log, 10_000) == 3  # counts the lines there are

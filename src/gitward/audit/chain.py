"""Checking the audit log's hash chain (`gitward audit verify`, the admin page's `state`).

Each line's `prev` must be the hash of the line before it (`link`). Read as one chain, a log and
the files rotated out of it (oldest first) must satisfy, line by line:

- lines before the first one with a `prev` were written before gitward chained its log: they
  are reported (`State.first_chained`), not protected, and not a break;
- the first line of the first file has `prev` = `GENESIS`, or is the `audit.rotate` line that
  starts a rotated log's successor (`State.continues` names the older file);
- every other line has `prev` = the hash of the line before it, also across files (so a file
  given after another must continue it);
- every line is a JSON object, and no line lacks a `prev` once the chain has started.

A line that breaks a rule is a `Break`, named `file:line` with why; checking goes on after it
(each link stands alone), so a single damaged line does not hide a later edit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from gitward.audit import lines, link

ROTATE_EVENT = "audit.rotate"
KEPT_BREAKS = 100  # breaks listed in a State (all are counted)


class Break(NamedTuple):
    """A line where the chain does not hold, and why."""

    file: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.why}"


class State(NamedTuple):
    """What the chain of one log (with the files rotated out before it) looks like."""

    path: str  # the last file checked: the log itself
    lines: int  # lines read, all files together
    first_chained: tuple[str, int] | None  # (file, line) of the first line with a `prev`
    head: str | None  # the hash the next line will carry as `prev`; None: the log is empty
    continues: str | None  # the older file the first file's rotation line names (its path)
    breaks: tuple[Break, ...]  # the first `KEPT_BREAKS`, in order
    broken: int  # how many breaks in all

    @property
    def intact(self) -> bool:
        return self.broken == 0


def state(path: Path) -> State:
    """The chain's state of the log at `path` (the admin page shows it). Raises OSError when it
    cannot be read (a missing log is not an intact one)."""
    return check([path])


def check(paths: Sequence[Path]) -> State:
    """Check `paths` as one chain, oldest file first (the log last). Raises OSError when one
    cannot be read."""
    walk = _Walk()
    for path in paths:
        walk.file(str(path), lines.forward(path))
    return State(
        path=str(paths[-1]),
        lines=walk.count,
        first_chained=walk.first_chained,
        head=walk.head,
        continues=walk.continues,
        breaks=tuple(walk.breaks),
        broken=walk.broken,
    )


class _Walk:
    """The chain so far, while lines are read (one instance per check)."""

    def __init__(self) -> None:
        self.count = 0
        self.head: str | None = None  # digest of the last line read
        self.last_file: str | None = None
        self.first_chained: tuple[str, int] | None = None
        self.continues: str | None = None
        self.breaks: list[Break] = []
        self.broken = 0

    def file(self, name: str, raws: Iterable[bytes]) -> None:
        for number, raw in enumerate(raws, 1):
            why = self._why(name, number, raw)
            if why is not None:
                self.broken += 1
                if len(self.breaks) < KEPT_BREAKS:
                    self.breaks.append(Break(name, number, why))
            self.count += 1
            self.head = link.digest(raw)
        self.last_file = name

    def _why(self, name: str, number: int, raw: bytes) -> str | None:
        """Why line `number` of `name` breaks the chain, or None."""
        if not raw.endswith(b"\n"):
            return "the line is cut short (no newline at the end: a write a crash interrupted?)"
        try:
            record = json.loads(raw)
        except ValueError as exc:  # also a line that is not UTF-8
            return f"not a JSON object ({_short(exc)})"
        if not isinstance(record, dict):
            return "not a JSON object"
        if link.FIELD not in record:
            if self.first_chained is None:
                return None  # written before the log was chained
            file, line = self.first_chained
            return f"no {link.FIELD}, though the chain starts at {file}:{line}"
        prev = record[link.FIELD]
        if not link.is_link(prev):
            return f"{link.FIELD} is not {link.ALGORITHM}: and 64 hex digits"
        if self.first_chained is None:
            self.first_chained = (name, number)
        return self._link(name, number, record, prev)

    def _link(self, name: str, number: int, record: dict[str, object], prev: str) -> str | None:
        if self.head is None:  # the very first line
            if prev == link.GENESIS:
                return None
            if record.get("event") == ROTATE_EVENT:
                details = record.get("details")
                rotated = details.get("file") if isinstance(details, dict) else None
                # Rotated files keep their name beside the log: `details.file` is that name.
                self.continues = str(Path(name).parent / str(rotated))
                return None
            return (
                f"{link.FIELD} is neither the start of a log nor the hash of an older file's "
                "last line: lines before it were removed"
            )
        if prev == self.head:
            return None
        if number == 1:
            if prev == link.GENESIS and self.first_chained == (name, number):
                return None  # older files not chained, this one started a chain
            return (
                f"does not continue {self.last_file}: {link.FIELD} is not the hash of its last "
                "line (lines were removed from its end or added to it, or it is not the file "
                "rotated just before this one)"
            )
        return (
            f"{link.FIELD} is not the hash of line {number - 1}: line {number - 1} was edited, "
            f"or lines were deleted, inserted or moved between {number - 1} and {number}"
        )


def summary(state: State, shown: int = 10) -> list[str]:
    """What `gitward audit verify` prints for `state`: the breaks (the first one first, at most
    `shown`) and a last line that sums up; else what the intact chain covers."""
    where = state.path
    if not state.intact:
        out = [str(b) for b in state.breaks[:shown]]
        if state.broken > len(out):
            more = state.broken - len(out)
            out.append(f"... and {more} more broken line{'' if more == 1 else 's'}")
        first = state.breaks[0]
        out.append(
            f"{where}: chain BROKEN: {_lines(state.broken)} broken, the first at "
            f"{first.file}:{first.line}"
        )
        return out
    if state.head is None:
        return [f"{where}: empty (nothing recorded yet)"]
    if state.first_chained is None:
        return [f"{where}: no line is chained ({_lines(state.lines)} written before chaining)"]
    out = []
    file, line = state.first_chained
    if line > 1:
        out.append(
            f"{file}: lines 1-{line - 1} were written before chaining (not protected); "
            f"the chain starts at line {line}"
        )
    if state.continues is not None:
        out.append(
            f"{file}: line 1 continues the rotated file {state.continues}; check that link "
            f"too by giving both, oldest first: gitward audit verify {state.continues} {file}"
        )
    out.append(f"{where}: chain intact ({_lines(state.lines)}, head {state.head})")
    return out


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"


def _short(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return type(exc).__name__

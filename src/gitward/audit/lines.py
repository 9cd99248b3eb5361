"""Reading the audit log while hooks and receiver workers write to it: forwards, backwards from
the end (`tail`), and following it as it grows and is rotated (`tail --follow`).

A reader takes no lock while it hands out lines (a paused `gitward audit search | less` must
never hold up a push). It reads up to a *settled* size instead: writers write whole lines under
the log's exclusive lock, so when the file does not end in a newline, either a writer is half-way
through or a crash cut a write short; a shared lock, taken for an instant, tells them apart.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

SHARE_WAIT = 5.0  # seconds a reader waits for writers to finish a line
POLL = 0.01  # seconds between tries for the shared lock
BLOCK = 65536  # bytes read at a time backwards


def settled_size(fd: int) -> int:
    """The size of the file open as `fd`, up to which every line is whole (or was cut short
    by a crash: then it stays cut however long one waits)."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    end = time.monotonic() + SHARE_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= end:  # a writer stuck holding the lock: read what is there
                return os.fstat(fd).st_size
            time.sleep(POLL)
    try:
        return os.fstat(fd).st_size
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def forward(path: Path) -> Iterator[bytes]:
    """The log's lines in order, each with its newline (the last one may have none: cut short).
    Raises OSError when the log cannot be read."""
    with path.open("rb") as file:
        size = settled_size(file.fileno())
        offset = 0
        for raw in file:
            if offset >= size:
                return
            offset += len(raw)
            yield raw


def size(path: Path) -> int:
    """The log's settled size (see `settled_size`)."""
    with path.open("rb") as file:
        return settled_size(file.fileno())


def backward(path: Path, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each of the log's lines (up to byte `end`, else its settled size),
    the last one first. Reads from the end, so the last lines cost the same in a log of any
    size."""
    with path.open("rb") as file:
        fd = file.fileno()
        end = settled_size(fd) if end is None else end
        carry = b""  # the part of a line read so far, from the start of the last block read
        while end > 0:
            start = max(0, end - BLOCK)
            block = os.pread(fd, end - start, start) + carry
            high = len(block)  # block[high - 1] ends the current line (its newline)
            while (cut := block.rfind(b"\n", 0, high - 1)) >= 0:
                yield start + cut + 1, block[cut + 1 : high]
                high = cut + 1
            carry = block[:high]
            end = start
        if carry:
            yield 0, carry


def line_number(path: Path, offset: int) -> int:
    """The number (from 1) of the line starting at byte `offset` of the log."""
    count = 0
    with path.open("rb") as file:
        while offset > 0 and (block := file.read(min(BLOCK, offset))):
            count += block.count(b"\n")
            offset -= len(block)
    return count + 1


def follow(path: Path, start: int, stop: Callable[[], bool], poll: float = 0.5) -> Iterator[bytes]:
    """Lines written to the log after byte `start`, as they come, until `stop()` is true; when
    the log is rotated, the rest of the old file, then the new one from its first line."""
    file = path.open("rb")
    offset, pending = start, b""
    try:
        while not stop():
            size = settled_size(file.fileno())
            if size > offset:
                pending += os.pread(file.fileno(), size - offset, offset)
                offset = size
                *whole, pending = pending.split(b"\n")
                yield from (line + b"\n" for line in whole)
                continue
            if _replaced(path, file.fileno()):
                file.close()
                file = path.open("rb")
                offset, pending = 0, b""
                continue
            time.sleep(poll)
    finally:
        file.close()


def _replaced(path: Path, fd: int) -> bool:
    try:
        now_there = path.stat()
    except FileNotFoundError:  # between a rename and the new file (logrotate's `create`)
        return False
    mine = os.fstat(fd)
    return (now_there.st_dev, now_there.st_ino) != (mine.st_dev, mine.st_ino)

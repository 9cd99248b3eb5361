"""`gitward audit rotate`: move the log aside and start a new one that continues its chain.

Under the log's lock: the old file gets a second name, `<log>.<UTC time>` (a hard link, so the
log's name never points at nothing), then a new file whose only line is an `audit.rotate`
record (its `prev` the hash of the old file's last line) atomically takes the log's name.
Writers waiting for the lock notice the log was replaced and write to the new file
(`log.open_locked`), so the old file never gains a line after the rotation's. The new file keeps
the old one's owner and mode, so the hook's account can still write it.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from gitward.audit import chain, link, log


class Rotated(NamedTuple):
    old: Path  # where the old lines are now
    lines: int  # how many there are


class NothingToRotate(OSError):
    """The log is missing or empty."""


def rotate(path: Path, actor: str, when: datetime | None = None) -> Rotated:
    """Rotate the log at `path`; raises OSError (NothingToRotate for an empty or missing log,
    FileExistsError when a file rotated at the same second is there already)."""
    when = when or datetime.now(UTC)
    if path.is_symlink():
        raise OSError(f"{path} is a symbolic link: rotate the file it points to")
    if not path.is_file() or path.stat().st_size == 0:
        raise NothingToRotate(f"{path}: no audit lines to rotate")
    counted = path.stat().st_size
    lines = _newlines(path, 0, counted)  # before the lock: pushes wait only for the rest
    old = path.with_name(f"{path.name}.{when.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    fd, reader = log.open_locked(path, None)
    try:
        size = os.fstat(reader).st_size
        fix, prev = link.next_link(reader, size)
        if fix:  # the old log ends with a line a crash cut short: end it, as a writer would
            os.write(fd, fix)
        lines += _newlines(path, counted, size) + len(fix)
        first = {
            "time": log.now(),
            "event": chain.ROTATE_EVENT,
            "actor": actor,
            "details": {"file": old.name, "lines": lines},
        }
        os.link(path, old)
        try:
            _replace(path, link.seal(log.encode(first), prev), os.fstat(reader))
        except BaseException:
            old.unlink()
            raise
    finally:
        os.close(reader)
        os.close(fd)
    return Rotated(old, lines)


def _newlines(path: Path, start: int, end: int) -> int:
    count = 0
    with path.open("rb") as file:
        file.seek(start)
        while start < end and (block := file.read(min(1 << 20, end - start))):
            count += block.count(b"\n")
            start += len(block)
    return count


def _replace(path: Path, data: bytes, like: os.stat_result) -> None:
    """Put a file holding `data`, with the owner and mode of `like`, at `path` atomically."""
    tmp = path.with_name(f".{path.name}.rotating")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        if (like.st_uid, like.st_gid) != (os.geteuid(), os.getegid()):
            os.fchown(fd, like.st_uid, like.st_gid)  # PermissionError unless root or the owner
        os.fchmod(fd, stat.S_IMODE(like.st_mode))
        os.write(fd, data)
        os.fsync(fd)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(folder)  # the new name survives a crash
    finally:
        os.close(folder)

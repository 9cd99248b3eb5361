"""The audit log: JSON Lines, one object per line, safe under concurrent pushes and edits.

Each record is written with ONE write(2) on a descriptor opened with O_APPEND, under an
exclusive flock, then fsynced: O_APPEND alone keeps small writes from interleaving on local
file systems, the lock also covers partial writes and NFS-like file systems, and fsync makes an
accepted push's record survive a crash.

Each line carries the hash of the line before it (`link`): under the lock, the writer reads the
log's last line (backwards from the end, never the whole log), hashes it and adds the hash as
the line's `prev`. The lock is what makes several hooks and receiver workers write one chain:
no one appends between a writer's read and its write. A log replaced while a writer waited for
its lock (`gitward audit rotate`) is opened again, so no line lands in the rotated file.

A push must not wait on the log for longer than its time budget: given a `Deadline`, the lock is
polled and given up when the deadline passes (a writer stuck while holding it would otherwise
keep every push waiting), and the log is opened without blocking (a FIFO in its place fails at
once instead of waiting for a reader).
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from gitward.audit import link

if TYPE_CHECKING:
    from gitward.deadline import Deadline

LOCK_POLL = 0.01  # seconds between tries for a lock another process holds
REOPENS = 5  # times a writer follows a log replaced while it waited for the lock


def now() -> str:
    """The current time as UTC ISO 8601 with a `Z` (the format of every record's "time")."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def actor(environ: Mapping[str, str] | None = None) -> str:
    """Who runs a CLI edit: $GITWARD_ACTOR, else the login user."""
    env = os.environ if environ is None else environ
    if env.get("GITWARD_ACTOR"):
        return env["GITWARD_ACTOR"]
    import getpass  # noqa: PLC0415  # here: the hook never asks, and its import costs ~0.5 ms

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        return f"uid:{os.getuid()}"


def _default(value: object) -> object:
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot write {type(value).__name__} to the audit log")


def encode(record: Mapping[str, object]) -> bytes:
    """One line of pure-ASCII JSON (no NaN), ending in a newline; accepts any str.

    Every non-ASCII character is written as a `\\uXXXX` escape (json.loads gives it back):
    a lone surrogate (an undecodable byte of a ref name or push option, which Python keeps
    with surrogateescape) cannot make the write fail and so refuse an accepted push, and no
    pusher-chosen control, bidi or C1 character lands raw on the terminal of an admin who
    `cat`s the log."""
    text = json.dumps(
        record, default=_default, allow_nan=False, ensure_ascii=True, separators=(",", ":")
    )
    return (text + "\n").encode("ascii")


def append(path: Path, record: Mapping[str, object], deadline: Deadline | None = None) -> None:
    """Append `record` as one JSON line, its `prev` (the hash of the line before it) added last
    (a `prev` in `record` is replaced); creates the parent directory. Raises OSError (also when
    `path` is not a regular file or cannot be read), or BudgetExceeded when `deadline` passes
    while another process holds the lock; without a deadline, waits for the lock as long as it
    takes."""
    line = encode({k: v for k, v in record.items() if k != link.FIELD})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, reader = open_locked(path, deadline)
    try:
        fix, prev = link.next_link(reader, os.fstat(reader).st_size)
        view = memoryview(fix + link.seal(line, prev))
        while view:  # a single write() normally; loop only if the kernel writes part of it
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(reader)
        os.close(fd)  # closing releases the lock


def open_locked(path: Path, deadline: Deadline | None) -> tuple[int, int]:
    """(a descriptor appending to the log at `path`, one reading it), the first holding the
    log's exclusive lock; the caller closes both (closing the first releases the lock).

    Both are checked, once the lock is held, to be the file now at `path`: a rotation replaces
    the log while holding the old file's lock, and a writer that was waiting for that lock must
    write to the new file, after the rotation's first line."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK
    for _ in range(REOPENS):
        fd = os.open(path, flags, 0o640)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(f"{path}: an audit log must be a regular file")
            _lock(fd, deadline)
            try:
                reader = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
            except FileNotFoundError:  # renamed away while we waited: open the new one
                reader = -1
        except BaseException:
            os.close(fd)
            raise
        if reader >= 0:
            now_there = os.fstat(reader)
            if (now_there.st_dev, now_there.st_ino) == (st.st_dev, st.st_ino):
                return fd, reader
            os.close(reader)
        os.close(fd)
    raise OSError(f"{path}: the audit log was replaced {REOPENS} times while waiting for it")


def _lock(fd: int, deadline: Deadline | None) -> None:
    if deadline is None or deadline.timeout() is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            deadline.check("waiting for the audit log's lock, which another process holds")
            time.sleep(min(LOCK_POLL, deadline.remaining()))

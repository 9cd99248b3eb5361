"""Durable file edits for the config directory: atomic replace, durable delete, an edit lock.

A reader (the hook, on every push) must see either the old or the new file, never a torn one:
write a temporary file in the same directory, fsync it, rename it over the target, fsync the
directory so the rename itself survives a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gitward.errors import SignerEditError

LOCK_NAME = ".lock"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically and durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    _fsync_dir(path.parent)


def durable_unlink(path: Path) -> None:
    path.unlink()
    _fsync_dir(path.parent)


@contextlib.contextmanager
def edit_lock(directory: Path, timeout: float = 5.0) -> Iterator[None]:
    """Hold an exclusive flock on `<directory>/.lock`; wait up to `timeout` seconds for it.

    Raises SignerEditError naming the lock file when another editor keeps holding it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    lock = directory / LOCK_NAME
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SignerEditError(
                        f"another signer edit is in progress (lock {lock} held for more than "
                        f"{timeout:g} s); try again when it has finished"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock

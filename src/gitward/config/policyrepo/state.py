"""The policy commit last used, so that the policy only ever moves forward.

`<state_dir>/last-commit` holds one commit id. A run that loaded the policy from a later commit
(one that descends from it) records that commit; a run that finds the ref at a commit that does
not descend from it refuses the policy (`gitward.config.policyrepo.locate`). Writes are atomic
(temporary file, fsync, rename) and serialised by a lock on `last-commit.lock`, and a record
never moves backwards: when another run recorded a commit meanwhile that ours does not descend
from, its record stays.

No file yet means no policy used yet: the first commit read is trusted and recorded
(`gitward install --config-repo` records it when it sets the source up).
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from gitward.config.policyrepo import gitread
from gitward.errors import ConfigError
from gitward.model import is_hex_oid

if TYPE_CHECKING:
    from collections.abc import Iterator

FILE = "last-commit"
LOCK = "last-commit.lock"
LOCK_WAIT = 1.0  # seconds: the hook records inside its time budget
_POLL = 0.01


def read(state_dir: Path) -> str | None:
    """The commit last used, or None when none was recorded yet. ConfigError when the file
    is there but unreadable or not a commit id (fail closed: never start over silently)."""
    path = state_dir / FILE
    try:
        text = path.read_bytes().decode("ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}:1: cannot read the last policy commit used: {exc}"]) from None
    if not is_hex_oid(text):
        raise ConfigError([f"{path}:1: expected a commit id, got {text[:80]!r}"])
    return text


def advance(state_dir: Path, repository: Path, seen: str | None, commit: str) -> None:
    """Record `commit` as the last used; `seen` is what `read` gave before it was judged.
    Kept as is when another run recorded, meanwhile, a commit that `commit` does not descend
    from (a later one: the record never moves back)."""
    from gitward.config.files import atomic_write  # noqa: PLC0415  # only when it changes
    from gitward.config.policyrepo.cache import mkdirs  # noqa: PLC0415

    mkdirs(state_dir)
    with _locked(state_dir / LOCK):
        current = read(state_dir)
        if current == commit:
            return
        if current not in (None, seen) and not gitread.descends(repository, current, commit):
            return
        atomic_write(state_dir / FILE, f"{commit}\n".encode("ascii"))


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        until = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= until:
                    raise ConfigError(
                        [f"{path}: held by another process for {LOCK_WAIT:g} s; "
                         "cannot record the policy commit used"]
                    ) from None  # fmt: skip
                time.sleep(_POLL)
        yield
    finally:
        os.close(fd)

"""All files of one batch edit replaced together, or none: a journal to roll back from.

Before the first file of a batch (a sync touches many signers) is replaced, the journal
`<signers_dir>/.batch-journal.json` records every file's old content and a digest of its new
one; it is removed once the batch and its audit records are written. A batch that fails is
rolled back at once; one cut short by a crash is rolled back by the next batch, under the
same edit lock. A file whose content is neither the old nor the new one was changed since (by
another edit): it is left as it is and named.

Each file is replaced atomically (`files.atomic_write`): a reader (the hook) sees either a
signer's old file or its new one, never a torn one.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitward.audit import log as audit
from gitward.config import Located, files
from gitward.errors import SignerEditError

NAME = ".batch-journal.json"


class RolledBack(NamedTuple):
    restored: tuple[str, ...]  # paths relative to the signers directory
    left: tuple[str, ...]  # changed since the batch wrote them: not touched


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def begin(directory: Path, writes: Sequence[tuple[Path, bytes]]) -> list[dict[str, Any]]:
    """Record the old content of every file about to be written; the journal's entries."""
    entries = []
    for path, data in writes:
        old = _read(path)
        entries.append(
            {
                "path": str(path.relative_to(directory)),
                "old": None if old is None else base64.b64encode(old).decode("ascii"),
                "new": _digest(data),
            }
        )
    files.atomic_write(directory / NAME, json.dumps({"version": 1, "files": entries}).encode())
    return entries


def finish(directory: Path) -> None:
    files.durable_unlink(directory / NAME)


def roll_back(directory: Path, entries: Sequence[dict[str, Any]]) -> RolledBack:
    """Put back the old content of each file that still holds what the batch wrote."""
    restored, left = [], []
    for entry in reversed(entries):
        path = directory / entry["path"]
        current = _read(path)
        old = None if entry["old"] is None else base64.b64decode(entry["old"])
        if current == old:
            continue  # not written yet
        if current is None or _digest(current) != entry["new"]:
            left.append(entry["path"])
            continue
        if old is None:
            files.durable_unlink(path)
        else:
            files.atomic_write(path, old)
        restored.append(entry["path"])
    return RolledBack(tuple(reversed(restored)), tuple(reversed(left)))


def undo(located: Located, entries: Sequence[dict[str, Any]], *, audited: bool) -> RolledBack:
    """Roll a failed batch back and drop its journal; when audit records of it were already
    written, also record the rollback (best effort: the log may be what failed)."""
    done = roll_back(located.signers_dir, entries)
    finish(located.signers_dir)
    if audited:
        with contextlib.suppress(OSError):
            _record(located, done, "the batch failed before all its audit records were written")
    return done


def recover(located: Located) -> RolledBack | None:
    """Roll back a batch a crash cut short (its journal is still there), and record it in the
    audit log; None when there is nothing to recover. Call under the edit lock."""
    directory = located.signers_dir
    raw = _read(directory / NAME)
    if raw is None:
        return None
    try:
        entries = json.loads(raw)["files"]
        done = roll_back(directory, entries)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise SignerEditError(
            f"an interrupted batch edit left {directory / NAME}, which cannot be rolled back "
            f"({exc}); check the signer files, then delete it"
        ) from None
    try:
        _record(located, done, "an interrupted batch edit was rolled back")
    except OSError as exc:
        raise SignerEditError(
            f"cannot write the audit log {located.audit_log} ({exc.strerror or exc}); "
            f"the interrupted batch edit in {directory / NAME} was rolled back"
        ) from None
    finish(directory)
    return done


def _record(located: Located, done: RolledBack, why: str) -> None:
    details = {"why": why, "restored": list(done.restored), "left": list(done.left)}
    record = {
        "time": audit.now(),
        "event": "signers.rollback",
        "actor": audit.actor(),
        "signer": None,
        "details": details,
    }
    audit.append(located.audit_log, record)

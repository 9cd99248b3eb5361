"""One import or sync, applied: every signer file it changes replaced together, or none.

Under the signers directory's edit lock: roll back a batch a crash cut short (`journal`),
plan again from the files as they are now and refuse when the plan differs from the one shown
(somebody edited meanwhile), render every change, load the result with the hook's own loader in
a staging directory (and check no key gets two owners), then write the key files and the
signer files behind a journal and append one audit record per signer. When a write or an
audit record fails, the whole batch is rolled back.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from gitward.audit import log as audit
from gitward.config import Located, files, signers_file
from gitward.errors import SignerEditError
from gitward.signers import edit as signers_edit
from gitward.signers import journal
from gitward.signers.plan import Change
from gitward.signers.render import Edit, render
from gitward.signers.state import State

Planner = Callable[[State], list[Change]]


class Applied(NamedTuple):
    changes: tuple[Change, ...]  # those that changed a file
    files: tuple[Path, ...]  # the signer files written
    recovered: journal.RolledBack | None  # an interrupted batch rolled back first


def apply(
    located: Located,
    plan: Planner,
    shown: Sequence[Change] | None,
    *,
    event: str,
    now: datetime,
    actor: str | None = None,
    lock_timeout: float = 5.0,
) -> Applied:
    """Plan with `plan` on the signers as they are under the lock and write the result;
    `shown`: the plan the admin saw (refused if it no longer holds)."""
    signers_edit.precheck(located)
    directory = located.signers_dir
    with files.edit_lock(directory, lock_timeout):
        recovered = journal.recover(located)
        state = State.load(directory, now)
        changes = [c for c in plan(state) if c.edits]
        if shown is not None and changes != [c for c in shown if c.edits]:
            raise SignerEditError(
                "the signer files changed since the plan was made; nothing was changed, "
                "run the command again"
            )
        edits = [render(directory, c) for c in changes]
        _validate(state, edits, now)
        if edits:
            _write(located, edits, event, actor)
    return Applied(tuple(changes), tuple(e.target for e in edits), recovered)


def recover(located: Located, lock_timeout: float = 5.0) -> journal.RolledBack | None:
    """Roll back a batch a crash cut short, before planning the next (`apply` does it too)."""
    signers_edit.precheck(located)
    with files.edit_lock(located.signers_dir, lock_timeout):
        return journal.recover(located)


def pending(located: Located) -> bool:
    """Whether a batch a crash cut short waits to be rolled back."""
    return (located.signers_dir / journal.NAME).exists()


def _validate(state: State, edits: Sequence[Edit], now: datetime) -> None:
    """Load the changed signer files, with the key files they name, as the hook will."""
    directory = state.directory
    stage = Path(tempfile.mkdtemp(dir=directory, prefix=".stage-"))
    try:
        (stage / "keys").mkdir()
        written = {path.name: data for e in edits for path, data in e.key_files}
        for e in edits:
            (stage / e.target.name).write_text(e.new_text, encoding="utf-8")
            for fpr in signers_file.openpgp_fingerprints(e.new_text):
                name = f"{fpr}.asc"
                source = directory / "keys" / name
                data = written.get(name) or (source.read_bytes() if source.is_file() else None)
                if data is not None:
                    (stage / "keys" / name).write_bytes(data)
        result = signers_file.load_dir(stage, now)
        problems = [p.replace(str(stage), str(directory)) for p in result.problems]
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    staged = result.signers.signers
    owners = {f: s for f, s in state.owners.items() if s not in {t.id for t in staged}}
    for signer in staged:
        for fpr in signers_file.key_fingerprints(signer):
            other = owners.setdefault(fpr, signer.id)
            if other != signer.id:
                problems.append(f"key {fpr} would belong to signers {other!r} and {signer.id!r}")
    if problems:
        raise SignerEditError("refusing the change, nothing was written:\n" + "\n".join(problems))


def _write(located: Located, edits: Sequence[Edit], event: str, actor: str | None) -> None:
    directory = located.signers_dir
    writes = [kf for e in edits for kf in e.key_files]
    writes += [(e.target, e.new_text.encode("utf-8")) for e in edits]
    entries = journal.begin(directory, writes)
    try:
        for path, data in writes:
            files.atomic_write(path, data)
    except OSError as exc:
        journal.undo(located, entries, audited=False)
        raise SignerEditError(
            f"cannot write the signer files ({exc.strerror or exc}); nothing was changed"
        ) from None
    for i, e in enumerate(edits):
        record = {
            "time": audit.now(),
            "event": event,
            "actor": actor or audit.actor(),
            "signer": e.change.signer,
            "details": details(e),
        }
        try:
            audit.append(located.audit_log, record)
        except OSError as exc:
            journal.undo(located, entries, audited=i > 0)
            raise SignerEditError(
                f"cannot write the audit log {located.audit_log} "
                f"({exc.strerror or exc}); the change was undone"
            ) from None
    journal.finish(directory)


def details(e: Edit) -> dict[str, object]:
    """An import or sync record's details: what changed in one signer, and what did not."""
    c = e.change
    return {
        "source": str(c.origin),
        "file": str(e.target),
        "new": c.new,
        "name": c.name,
        "emails_added": list(c.emails_added),
        "groups_added": list(c.groups_added),
        "added": [k.fingerprint for k in c.added],
        "followed": [k.fingerprint for k in c.followed],
        "refreshed": [fpr for fpr, _ in c.refreshed],
        "revoked": [fpr for fpr, _ in c.revoked],
        "revoked_since": c.at if c.revoked else None,
        "left_out": [{"key": o.label, "reason": o.reason} for o in c.left_out],
    }

"""`gitward signers remove/revoke` and what every signer edit shares (`signers_add` adds).

Every edit runs under the signers directory's lock, checks its input (keys admitted by
`config.keycheck`), renders the new file with ruamel.yaml's round-trip mode (comments and layout
of everything it does not touch are kept), re-validates the result with the same loader the hook
uses, replaces files atomically, and appends an audit record. If the audit record cannot be
written the edit is undone: no unaudited change to who may sign.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from gitward.audit import log as audit
from gitward.config import Located, files, reference_problems, roundtrip, signers_file
from gitward.config.dates import to_utc
from gitward.errors import SignerEditError
from gitward.policy import spec
from gitward.signers import version


def precheck(located: Located) -> None:
    """Refuse an edit while the policy's settings (which place the audit log) are broken, and
    of a policy read from a git repository: its files are a copy of a commit (the way to edit
    it: `signers.repo_edit`)."""
    if located.from_repo is not None:
        from gitward.signers.repo_edit import refusal  # noqa: PLC0415

        raise SignerEditError(refusal(located.from_repo.pointer))
    if not located.settings_ok:
        bad = [p for p in located.problems if ": settings" in p]
        raise SignerEditError("fix the policy's settings first: " + "; ".join(bad))


def audit_or_undo(
    located: Located,
    event: str,
    signer: str,
    details: Mapping[str, object],
    actor: str | None,
    undo: Callable[[], None],
) -> None:
    """Append the edit's audit record; when that fails, `undo()` the edit and refuse."""
    record = {
        "time": audit.now(),
        "event": event,
        "actor": actor or audit.actor(),
        "signer": signer,
        "details": dict(details),
    }
    try:
        audit.append(located.audit_log, record)
    except OSError as exc:
        undo()
        raise SignerEditError(
            f"cannot write the audit log {located.audit_log} "
            f"({exc.strerror or exc}); the change was undone"
        ) from None


def key_owners(signers: spec.Signers) -> dict[str, str]:
    """Key fingerprint -> id of the signer it belongs to."""
    return {f: s.id for s in signers.signers for f in signers_file.key_fingerprints(s)}


def remove(
    located: Located,
    signer_id: str,
    *,
    actor: str | None = None,
    lock_timeout: float = 5.0,
    expected_version: str | None = None,
) -> Path:
    """Delete a signer's file (and key files no other signer uses); returns the file.
    With `expected_version` (`version.token`), refused when the file changed since.

    Refused when the policy names the signer (or it is the last member of a group the policy
    names): the hook would then refuse every push, since a broken policy is never applied.
    """
    precheck(located)
    directory = located.signers_dir
    target = roundtrip.signer_file(directory, signer_id)
    with files.edit_lock(directory, lock_timeout):
        if not target.is_file():
            raise SignerEditError(f"no signer {signer_id!r} (no file {target})")
        text = target.read_text(encoding="utf-8")
        version.check(signer_id, text, expected_version)
        existing = signers_file.load_dir(directory)
        rest = spec.Signers(tuple(s for s in existing.signers.signers if s.id != signer_id))
        before = set(reference_problems(located, existing.signers))
        broken = [p for p in reference_problems(located, rest) if p not in before]
        if broken:
            raise SignerEditError(
                f"the policy still needs signer {signer_id!r}; change "
                "these first:\n" + "\n".join(broken)
            )
        gone = signers_file.openpgp_fingerprints(text)
        files.durable_unlink(target)
        audit_or_undo(
            located,
            "signers.remove",
            signer_id,
            {"keys": gone, "file": str(target)},
            actor,
            lambda: files.atomic_write(target, text.encode("utf-8")),
        )
        still_used = key_owners(rest)
        for fpr in gone:
            if fpr not in still_used:
                (directory / "keys" / f"{fpr}.asc").unlink(missing_ok=True)
    return target


def revoke(
    located: Located,
    signer_id: str,
    key: str,
    since: date | datetime | None = None,
    *,
    actor: str | None = None,
    lock_timeout: float = 5.0,
    expected_version: str | None = None,
) -> datetime:
    """Set `revoked_since` on one of the signer's keys; returns the instant (UTC).
    With `expected_version` (`version.token`), refused when the file changed since.

    `key` is an OpenPGP primary fingerprint (spaces allowed) or an SSH `SHA256:` fingerprint.
    Revocation can only move earlier: moving it later would make signatures valid again.
    """
    precheck(located)
    when: date | datetime = since or datetime.now(UTC).replace(microsecond=0)
    instant = to_utc(when)
    if instant is None:  # to_utc accepts every date and datetime; fail closed regardless
        raise SignerEditError(f"not a date: {since!r}")
    if isinstance(when, datetime):
        when = instant  # stored in UTC
    target = roundtrip.signer_file(located.signers_dir, signer_id)
    with files.edit_lock(located.signers_dir, lock_timeout):
        if not target.is_file():
            raise SignerEditError(f"no signer {signer_id!r} (no file {target})")
        text = target.read_text(encoding="utf-8")
        version.check(signer_id, text, expected_version)
        found: dict[str, object] = {}

        def change(data: dict[Any, Any]) -> None:
            entry, fpr = roundtrip.find_key(data, key, signer_id)
            old = to_utc(entry.get("revoked_since"))
            if old is not None and old <= instant:
                raise SignerEditError(
                    f"key {fpr} of {signer_id!r} is already revoked since {old.isoformat()}"
                )
            entry["revoked_since"] = when
            found.update(key=fpr, revoked_since=instant, previous=old)

        new_text = roundtrip.edit(target, text, change)
        roundtrip.check_rendered(target, new_text)
        files.atomic_write(target, new_text.encode("utf-8"))
        audit_or_undo(
            located,
            "signers.revoke",
            signer_id,
            found,
            actor,
            lambda: files.atomic_write(target, text.encode("utf-8")),
        )
    return instant

"""`gitward signers add/remove/revoke`: edits of the signer files that keep them reviewable.

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
from typing import Any, NamedTuple

from gitward import audit
from gitward.config import Located, files, keycheck, reference_problems, roundtrip, signers_file
from gitward.config.fields import to_utc
from gitward.errors import SignerEditError
from gitward.policy import spec


class NewSigner(NamedTuple):
    id: str
    name: str
    emails: tuple[str, ...]
    groups: tuple[str, ...] = ()
    gpg_keys: tuple[tuple[str, bytes], ...] = ()  # (file name for messages, key data)
    ssh_keys: tuple[tuple[str, str], ...] = ()  # (file name for messages, public key line)


def _precheck(located: Located) -> None:
    if not located.settings_ok:
        bad = [p for p in located.problems if ": settings" in p]
        raise SignerEditError("fix the policy's settings first: " + "; ".join(bad))


def _record(
    located: Located,
    event: str,
    signer: str,
    details: Mapping[str, object],
    actor: str | None,
    undo: Callable[[], None],
) -> None:
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


def _owners(signers: spec.Signers) -> dict[str, str]:
    return {f: s.id for s in signers.signers for f in signers_file.key_fingerprints(s)}


def add(
    located: Located,
    new: NewSigner,
    *,
    allow_email_mismatch: bool = False,
    now: datetime | None = None,
    actor: str | None = None,
    lock_timeout: float = 5.0,
) -> Path:
    """Create `<signers_dir>/<id>.yaml` (and `keys/<FPR>.asc`); returns the signer file."""
    _precheck(located)
    now = now or datetime.now(UTC)
    directory = located.signers_dir
    target = roundtrip.signer_file(directory, new.id)
    with files.edit_lock(directory, lock_timeout):
        if target.exists():
            raise SignerEditError(f"signer {new.id!r} already exists ({target})")
        existing = signers_file.load_dir(directory, now)
        if existing.problems:
            raise SignerEditError("fix the signer files first:\n" + "\n".join(existing.problems))
        owners = _owners(existing.signers)
        certs = [
            (
                keycheck.check_openpgp(
                    label, data, new.emails, now, allow_email_mismatch=allow_email_mismatch
                ),
                data,
            )
            for label, data in new.gpg_keys
        ]
        sshs = [(keycheck.check_ssh(label, line), line) for label, line in new.ssh_keys]
        fprs = [i.fingerprint for i, _ in certs] + [k.fingerprint for k, _ in sshs]
        for fpr in fprs:
            if fpr in owners:
                raise SignerEditError(f"key {fpr} already belongs to signer {owners[fpr]!r}")
            if fprs.count(fpr) > 1:
                raise SignerEditError(f"key {fpr} was given twice")
        data: dict[str, object] = {"id": new.id, "name": new.name, "emails": list(new.emails)}
        if new.groups:
            data["groups"] = list(new.groups)
        if certs:
            data["openpgp"] = [{"fingerprint": i.fingerprint} for i, _ in certs]
        if sshs:
            data["ssh"] = [{"key": line.strip()} for _, line in sshs]
        header = (
            f"# Signer {new.id}: added with `gitward signers add` on {now:%Y-%m-%d}.\n"
            "# Comments and layout are kept by later CLI edits.\n"
        )
        text = roundtrip.render_new(header, data)
        roundtrip.check_rendered(target, text)
        key_files = [directory / "keys" / f"{i.fingerprint}.asc" for i, _ in certs]
        for key_file, (_, raw) in zip(key_files, certs, strict=True):
            files.atomic_write(key_file, keycheck.armored(raw))
        files.atomic_write(target, text.encode("utf-8"))

        def undo() -> None:
            for f in (target, *key_files):
                f.unlink(missing_ok=True)

        details = {
            "name": new.name,
            "emails": list(new.emails),
            "groups": list(new.groups),
            "keys": fprs,
            "file": str(target),
        }
        _record(located, "signers.add", new.id, details, actor, undo)
    return target


def remove(
    located: Located, signer_id: str, *, actor: str | None = None, lock_timeout: float = 5.0
) -> Path:
    """Delete a signer's file (and key files no other signer uses); returns the file.

    Refused when the policy names the signer (or it is the last member of a group the policy
    names): the hook would then refuse every push, since a broken policy is never applied.
    """
    _precheck(located)
    directory = located.signers_dir
    target = roundtrip.signer_file(directory, signer_id)
    with files.edit_lock(directory, lock_timeout):
        if not target.is_file():
            raise SignerEditError(f"no signer {signer_id!r} (no file {target})")
        text = target.read_text(encoding="utf-8")
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
        _record(
            located,
            "signers.remove",
            signer_id,
            {"keys": gone, "file": str(target)},
            actor,
            lambda: files.atomic_write(target, text.encode("utf-8")),
        )
        still_used = _owners(rest)
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
) -> datetime:
    """Set `revoked_since` on one of the signer's keys; returns the instant (UTC).

    `key` is an OpenPGP primary fingerprint (spaces allowed) or an SSH `SHA256:` fingerprint.
    Revocation can only move earlier: moving it later would make signatures valid again.
    """
    _precheck(located)
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
        _record(
            located,
            "signers.revoke",
            signer_id,
            found,
            actor,
            lambda: files.atomic_write(target, text.encode("utf-8")),
        )
    return instant

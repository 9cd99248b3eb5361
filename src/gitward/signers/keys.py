"""Edits of an existing signer: add keys, set groups. The contract of every signer edit
(`signers.edit`): under the signers directory's lock, keys admitted by `config.keycheck` and
owned by no other signer, the file rendered round-trip and re-validated with the hook's loader,
written atomically, undone if the audit record cannot be written. Each takes the version token
the editor saw (`signers.version`) and is refused when the file changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitward.config import Located, files, keycheck, reference_problems, roundtrip, signers_file
from gitward.errors import SignerEditError
from gitward.policy import spec
from gitward.signers import edit as signers_edit
from gitward.signers import version


def _read(located: Located, signer_id: str, expected_version: str | None) -> tuple[Path, str]:
    target = roundtrip.signer_file(located.signers_dir, signer_id)
    if not target.is_file():
        raise SignerEditError(f"no signer {signer_id!r} (no file {target})")
    text = target.read_text(encoding="utf-8")
    version.check(signer_id, text, expected_version)
    return target, text


def _current(located: Located, now: datetime) -> signers_file.SignersResult:
    existing = signers_file.load_dir(located.signers_dir, now)
    if existing.problems:
        raise SignerEditError("fix the signer files first:\n" + "\n".join(existing.problems))
    return existing


def add_keys(
    located: Located,
    signer_id: str,
    gpg_keys: Sequence[tuple[str, bytes]] = (),
    ssh_keys: Sequence[tuple[str, str]] = (),
    *,
    allow_email_mismatch: bool = False,
    expected_version: str | None = None,
    now: datetime | None = None,
    actor: str | None = None,
    lock_timeout: float = 5.0,
) -> list[str]:
    """Add OpenPGP keys (label, data) and SSH keys (label, line) to a signer; returns their
    fingerprints."""
    signers_edit.precheck(located)
    if not gpg_keys and not ssh_keys:
        raise SignerEditError("no key given")
    now = now or datetime.now(UTC)
    with files.edit_lock(located.signers_dir, lock_timeout):
        target, text = _read(located, signer_id, expected_version)
        existing = _current(located, now).signers
        signer = existing.by_id(signer_id)
        emails = signer.emails if signer is not None else ()
        owners = signers_edit.key_owners(existing)
        certs = [
            (
                keycheck.check_openpgp(
                    label, data, emails, now, allow_email_mismatch=allow_email_mismatch
                ),
                data,
            )
            for label, data in gpg_keys
        ]
        sshs = [(keycheck.check_ssh(label, line), line.strip()) for label, line in ssh_keys]
        fprs = [i.fingerprint for i, _ in certs] + [k.fingerprint for k, _ in sshs]
        for fpr in fprs:
            if fpr in owners:
                raise SignerEditError(f"key {fpr} already belongs to signer {owners[fpr]!r}")
            if fprs.count(fpr) > 1:
                raise SignerEditError(f"key {fpr} was given twice")

        def change(data: dict[Any, Any]) -> None:
            for info, _ in certs:
                data.setdefault("openpgp", []).append({"fingerprint": info.fingerprint})
            for _, line in sshs:
                data.setdefault("ssh", []).append({"key": line})

        new_text = roundtrip.edit(target, text, change)
        roundtrip.check_rendered(target, new_text)
        key_files = [located.signers_dir / "keys" / f"{i.fingerprint}.asc" for i, _ in certs]
        for key_file, (_, raw) in zip(key_files, certs, strict=True):
            files.atomic_write(key_file, keycheck.armored(raw))
        files.atomic_write(target, new_text.encode("utf-8"))

        def undo() -> None:
            files.atomic_write(target, text.encode("utf-8"))
            for f in key_files:
                f.unlink(missing_ok=True)

        details = {"keys": fprs, "file": str(target)}
        signers_edit.audit_or_undo(located, "signers.add_keys", signer_id, details, actor, undo)
    return fprs


def set_groups(
    located: Located,
    signer_id: str,
    groups: Sequence[str],
    *,
    expected_version: str | None = None,
    actor: str | None = None,
    lock_timeout: float = 5.0,
) -> tuple[str, ...]:
    """Replace a signer's groups; returns the previous ones. Refused when the policy would
    lose a group it names (its last member leaving it): every push would then be refused."""
    signers_edit.precheck(located)
    wanted = tuple(dict.fromkeys(g.strip() for g in groups if g.strip()))
    with files.edit_lock(located.signers_dir, lock_timeout):
        target, text = _read(located, signer_id, expected_version)
        existing = _current(located, datetime.now(UTC)).signers
        signer = existing.by_id(signer_id)
        previous = signer.groups if signer is not None else ()
        changed = spec.Signers(
            tuple(s._replace(groups=wanted) if s.id == signer_id else s for s in existing.signers)
        )
        before = set(reference_problems(located, existing))
        broken = [p for p in reference_problems(located, changed) if p not in before]
        if broken:
            raise SignerEditError(
                f"the policy still needs {signer_id!r} in its groups; change these first:\n"
                + "\n".join(broken)
            )

        def change(data: dict[Any, Any]) -> None:
            if wanted:
                data["groups"] = list(wanted)
            else:
                data.pop("groups", None)

        new_text = roundtrip.edit(target, text, change)
        roundtrip.check_rendered(target, new_text)
        files.atomic_write(target, new_text.encode("utf-8"))
        signers_edit.audit_or_undo(
            located,
            "signers.groups",
            signer_id,
            {"groups": list(wanted), "previous": list(previous), "file": str(target)},
            actor,
            lambda: files.atomic_write(target, text.encode("utf-8")),
        )
    return previous

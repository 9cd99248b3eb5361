"""`gitward signers add`: a new signer file, its keys admitted and the edit audited.

The edit keeps the contract of every signer edit (`signers_edit`): under the signers
directory's lock, keys admitted by `config.keycheck` (and owned by no other signer), the file
rendered with ruamel.yaml and re-validated with the hook's loader, written atomically, and
undone if the audit record cannot be written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from gitward.config import Located, files, keycheck, roundtrip, signers_file
from gitward.errors import SignerEditError
from gitward.signers import edit as signers_edit


class NewSigner(NamedTuple):
    id: str
    name: str
    emails: tuple[str, ...]
    groups: tuple[str, ...] = ()
    gpg_keys: tuple[tuple[str, bytes], ...] = ()  # (file name for messages, key data)
    ssh_keys: tuple[tuple[str, str], ...] = ()  # (file name for messages, public key line)


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
    signers_edit.precheck(located)
    now = now or datetime.now(UTC)
    directory = located.signers_dir
    target = roundtrip.signer_file(directory, new.id)
    with files.edit_lock(directory, lock_timeout):
        if target.exists():
            raise SignerEditError(f"signer {new.id!r} already exists ({target})")
        existing = signers_file.load_dir(directory, now)
        if existing.problems:
            raise SignerEditError("fix the signer files first:\n" + "\n".join(existing.problems))
        owners = signers_edit.key_owners(existing.signers)
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
        signers_edit.audit_or_undo(located, "signers.add", new.id, details, actor, undo)
    return target

"""Admission checks for keys given to `gitward signers add`.

A key is refused when it does not parse, is a secret key, is one of the keys whose secret
gitward publishes (`published`), is revoked or expired, has no usable signing (sub)key, or
carries none of the signer's e-mails in a user id (the last check can be overridden: some
teams sign with a key whose user id is a personal address).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import datetime

from gitward.config import published
from gitward.errors import SignerEditError
from gitward.signing.openpgp import CertInfo
from gitward.signing.openpgp.certs import load_cert
from gitward.signing.ssh import SSHPublicKey, parse_public_key


def check_openpgp(
    label: str,
    data: bytes,
    emails: Sequence[str],
    now: datetime,
    *,
    allow_email_mismatch: bool = False,
) -> CertInfo:
    """Facts about the key in `data` (file `label`), or SignerEditError saying why not."""
    if b"PRIVATE KEY BLOCK" in data:
        raise SignerEditError(
            f"{label}: this is a secret key; give the public key (gpg --armor --export KEYID)"
        )
    try:
        loaded = load_cert(data)
    except ValueError as exc:
        raise SignerEditError(f"{label}: {exc}") from None
    info = loaded.info
    fpr = info.fingerprint
    leaked = published.openpgp((*loaded.key_fprs, *loaded.foreign_fprs))
    if leaked is not None:
        raise SignerEditError(f"{label}: key {leaked}: {published.WHY}")
    if info.revoked:
        raise SignerEditError(f"{label}: key {fpr} is revoked")
    if info.expires_at is not None and info.expires_at <= now:
        raise SignerEditError(
            f"{label}: key {fpr} expired on {info.expires_at:%Y-%m-%d}; "
            "extend it (gpg --quick-set-expire) and export it again"
        )
    live = [s for s, exp in info.signing_subkeys.items() if exp is None or exp > now]
    if not (info.primary_can_sign or live):
        raise SignerEditError(
            f"{label}: key {fpr} has no usable signing key (neither the "
            "primary key nor an unexpired subkey may sign)"
        )
    wanted = {e.lower() for e in emails}
    if not allow_email_mismatch and not wanted & {e.lower() for e in info.user_emails}:
        found = ", ".join(info.user_emails) or "no e-mail at all"
        raise SignerEditError(
            f"{label}: key {fpr} has user ids with {found}, none of them is "
            f"{', '.join(emails)}; add a matching user id to the key, or pass "
            "--allow-email-mismatch"
        )
    return info


def armored(data: bytes) -> bytes:
    """The certificate in `data` as canonical armored text (what keys/<FPR>.asc stores)."""
    import pysequoia  # noqa: PLC0415  # the signing adapter owns it; only `add` needs it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(pysequoia.Cert.from_bytes(data)).encode("ascii")


def check_ssh(label: str, line: str) -> SSHPublicKey:
    try:
        key = parse_public_key(line)
    except ValueError as exc:
        raise SignerEditError(f"{label}: not an SSH public key: {exc}") from None
    if published.ssh(key.fingerprint):
        raise SignerEditError(f"{label}: key {key.fingerprint}: {published.WHY}")
    return key


def read_ssh_keys(label: str, text: str) -> list[str]:
    """Key lines of a `.pub` / authorized_keys-like file (blank lines and comments skipped)."""
    lines = [ln.strip() for ln in text.splitlines()]
    keys = [ln for ln in lines if ln and not ln.startswith("#")]
    if not keys:
        raise SignerEditError(f"{label}: no SSH public key in this file")
    if any("PRIVATE KEY" in k for k in keys):
        raise SignerEditError(f"{label}: this is a private key; give the .pub file")
    return keys

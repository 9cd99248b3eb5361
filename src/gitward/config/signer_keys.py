"""The key entries of a signer file: OpenPGP keys checked against the key file stored beside
them, SSH keys parsed, validity windows checked; and why a certificate cannot sign.

Problems are appended as `(key path, what was expected)`, like every other field check.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitward.config import published
from gitward.config.fields import Problems
from gitward.policy import spec

if TYPE_CHECKING:
    from gitward.signing.openpgp.certs import LoadedCert


def _validity(k: dict[str, Any]) -> spec.KeyValidity:
    return spec.KeyValidity(k.get("not_before"), k.get("not_after"), k.get("revoked_since"))


def check_window(k: dict[str, Any], path: tuple[str, int], out: Problems) -> None:
    """A key's `not_after` must come after its `not_before`."""
    nb, na = k.get("not_before"), k.get("not_after")
    if nb is not None and na is not None and na <= nb:
        out.append(((*path, "not_after"), f"expected a date after not_before ({nb:%Y-%m-%d})"))


def openpgp_key(
    file: Path, i: int, k: dict[str, Any], out: Problems, certs: list[LoadedCert]
) -> spec.OpenPGPKey | None:
    """Entry `i` of `openpgp:` in `file`, checked against `keys/<FPR>.asc` beside the file;
    the certificate is appended to `certs`. None (with problems in `out`) when it does not
    match."""
    # Lazy: the schema and `signers list` must not pay for pysequoia.
    from gitward.signing.openpgp.certs import load_cert  # noqa: PLC0415

    fpr = k["fingerprint"].upper()
    path = ("openpgp", i, "fingerprint")
    key_file = file.parent / "keys" / f"{fpr}.asc"
    try:
        loaded = load_cert(key_file.read_bytes())
    except OSError as exc:
        out.append((path, f"expected the key in {key_file}: {exc.strerror or exc}"))
        return None
    except ValueError as exc:
        out.append((path, f"expected an OpenPGP public key in {key_file}: {exc}"))
        return None
    info = loaded.info
    if info.fingerprint.upper() != fpr:
        out.append(
            (path, f"expected the primary fingerprint of {key_file}, which is {info.fingerprint}")
        )
        return None
    leaked = published.openpgp((*loaded.key_fprs, *loaded.foreign_fprs))
    if leaked is not None:
        out.append((path, f"expected a key only its owner holds, got {leaked}: {published.WHY}"))
        return None
    certs.append(loaded)
    return spec.OpenPGPKey(
        fingerprint=fpr,
        signing_subkeys=dict(info.signing_subkeys),
        expires_at=info.expires_at,
        cert_revoked=info.revoked,
        primary_can_sign=info.primary_can_sign,
        user_emails=tuple(info.user_emails),
        validity=_validity(k),
    )


def ssh_key(i: int, k: dict[str, Any], out: Problems) -> spec.SSHKey | None:
    """Entry `i` of `ssh:`, its public key parsed; None (with a problem) when it does not parse."""
    from gitward.signing.ssh import parse_public_key  # noqa: PLC0415

    try:
        parsed = parse_public_key(k["key"])
    except ValueError as exc:
        out.append((("ssh", i, "key"), f"expected an SSH public key: {exc}"))
        return None
    if published.ssh(parsed.fingerprint):
        what = f"expected a key only its owner holds, got {parsed.fingerprint}: {published.WHY}"
        out.append((("ssh", i, "key"), what))
        return None
    return spec.SSHKey(parsed.fingerprint, k["key"].strip(), _validity(k))


def dead_reason(k: spec.OpenPGPKey, now: datetime) -> str:
    """Why the certificate itself cannot sign at `now` ("" if it can)."""
    if k.cert_revoked:
        return "is revoked"
    if k.expires_at is not None and k.expires_at <= now:
        return f"expired on {k.expires_at:%Y-%m-%d}"
    live = [e for e in k.signing_subkeys.values() if e is None or e > now]
    return "" if k.primary_can_sign or live else "has no usable signing (sub)key"

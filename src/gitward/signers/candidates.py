"""Which of the keys a forge lists for a user a signer may get, and why not the others.

A key is admitted when it passes the checks of `gitward signers add` (`config.keycheck`: it
parses, is public, is not one gitward publishes, is neither revoked nor expired, can sign,
carries the e-mails) and the forge vouches for it: the forge does not call it revoked, has
verified it where it verifies keys (Gitea), and has verified at least one of its e-mails. Only
verified e-mails become the signer's. `include_unverified` admits keys the forge does not vouch
for; nothing admits a key that fails a check of `add`.

A key left out is of one of three kinds, which decide what a sync does with a copy a signer
already holds: WITHDRAWN (revoked): revoked from the sync on; UNVERIFIED: revoked too, unless it
was imported unverified on purpose; UNUSABLE (expired, no complete copy on the forge, fails a
check of `add`): kept as it is, since the forge still lists it (an expired key's owner may
extend it and upload it again).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from gitward.config import keycheck
from gitward.errors import SignerEditError
from gitward.forges.userkeys import ForgeGpgKey, ForgeSshKey
from gitward.signing.openpgp.certs import load_cert

WITHDRAWN, UNVERIFIED, UNUSABLE = "withdrawn", "unverified", "unusable"


class Candidate(NamedTuple):
    """A key a signer may get."""

    kind: str  # "openpgp" | "ssh"
    fingerprint: str
    data: bytes  # OpenPGP: the certificate; SSH: the public key line (UTF-8)
    label: str  # how messages name it
    emails: tuple[str, ...] = ()  # e-mails it brings (verified by the forge, or given)
    unverified: bool = False  # admitted only because of --include-unverified
    ignored_emails: tuple[str, ...] = ()  # its e-mails the forge has not verified


class LeftOut(NamedTuple):
    label: str
    reason: str
    kind: str = UNUSABLE  # WITHDRAWN, UNVERIFIED or UNUSABLE
    fingerprint: str | None = None  # when known
    key_id: str | None = None  # an OpenPGP key's id as the forge lists it

    def names(self, fingerprint: str) -> bool:
        """Whether this is the key `fingerprint` (by its id, when the forge gave no more: a
        v4 key's id ends its fingerprint, a v6 key's begins it)."""
        if self.fingerprint is not None:
            return self.fingerprint == fingerprint
        return self.key_id is not None and self.key_id in (fingerprint[-16:], fingerprint[:16])


class Sorted(NamedTuple):
    admitted: tuple[Candidate, ...] = ()
    left_out: tuple[LeftOut, ...] = ()

    @classmethod
    def of(cls, results: Iterable[Candidate | LeftOut]) -> Sorted:
        found = list(results)
        return cls(
            tuple(r for r in found if isinstance(r, Candidate)),
            tuple(r for r in found if isinstance(r, LeftOut)),
        )

    def left_out_as(self, fingerprint: str) -> LeftOut | None:
        return next((o for o in self.left_out if o.names(fingerprint)), None)


def from_forge(
    gpg: Sequence[ForgeGpgKey],
    ssh: Sequence[ForgeSshKey],
    export: bytes | None,
    now: datetime,
    *,
    include_unverified: bool = False,
) -> Sorted:
    """Sort a user's forge keys; `export`: the forge's armored export of the certificates its
    list lacks (Gitea). Raises SignerEditError when the export cannot be read at all."""
    certs = export_certs(export) if export is not None else {}
    return Sorted.of(
        [_openpgp(k, certs, now, include_unverified) for k in gpg]
        + [_ssh(k, include_unverified) for k in ssh]
    )


def export_certs(export: bytes) -> dict[str, bytes]:
    """Primary fingerprint -> certificate, for each certificate of an export."""
    import pysequoia  # noqa: PLC0415  # the CLI's import path only

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            certs = pysequoia.Cert.split_bytes(export)
    except Exception as exc:  # pysequoia raises what the Rust side says
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SignerEditError(f"the forge's key export cannot be read: {first}") from None
    return {c.fingerprint.upper(): bytes(c) for c in certs}


def packet_fingerprint(packet: bytes) -> str | None:
    """The fingerprint of a lone primary key packet (Gitea's `public_key`), None if it is
    not one."""
    from pysequoia.packet import PacketPile, Tag  # noqa: PLC0415

    try:
        packets = list(PacketPile.from_bytes(packet))
    except Exception:  # garbage: the key is left out, its reason says why
        return None
    if len(packets) != 1 or packets[0].tag != Tag.PublicKey or not packets[0].fingerprint:
        return None
    return str(packets[0].fingerprint).upper()


def _certificate(key: ForgeGpgKey, certs: Mapping[str, bytes], label: str) -> bytes | LeftOut:
    if key.armored is not None:
        return key.armored.encode("utf-8")
    fpr = packet_fingerprint(key.key_packet) if key.key_packet is not None else None
    if fpr is None:
        why = "the forge sent nothing gitward can read as the key"
        return LeftOut(label, why, key_id=key.key_id)
    found = certs.get(fpr)
    if found is None:
        why = "the forge keeps no complete copy of it (its owner must upload it again)"
        return LeftOut(label, why, fingerprint=fpr)
    return found


def _openpgp(
    key: ForgeGpgKey, certs: Mapping[str, bytes], now: datetime, include_unverified: bool
) -> Candidate | LeftOut:
    label = f"OpenPGP key {key.key_id}"
    data = _certificate(key, certs, label)
    if isinstance(data, LeftOut):
        return data
    try:
        loaded = load_cert(data)
    except ValueError as exc:
        return LeftOut(label, str(exc), key_id=key.key_id)
    info = loaded.info
    fpr = info.fingerprint
    if loaded.key_ids[0] != key.key_id:
        return LeftOut(label, f"the forge's copy is another key ({fpr})", key_id=key.key_id)
    label = f"OpenPGP key {fpr}"
    if key.revoked or info.revoked:
        return LeftOut(label, "revoked", WITHDRAWN, fpr)
    if info.expires_at is not None and info.expires_at <= now:
        return LeftOut(label, f"expired on {info.expires_at:%Y-%m-%d}", UNUSABLE, fpr)
    verified = key.verified_emails
    doubts = ["the forge has not verified it"] if key.verified is False else []
    if not verified:
        listed = ", ".join(address for address, _ in key.emails) or "none"
        doubts.append(f"the forge has verified none of its e-mails ({listed})")
    if doubts and not include_unverified:
        return LeftOut(label, "; ".join(doubts), UNVERIFIED, fpr)
    try:
        keycheck.check_openpgp(label, data, verified, now, allow_email_mismatch=not verified)
    except SignerEditError as exc:
        return LeftOut(label, str(exc).removeprefix(f"{label}: "), UNUSABLE, fpr)
    ignored = tuple(address for address, ok in key.emails if not ok)
    return Candidate("openpgp", fpr, data, label, verified, bool(doubts), ignored)


def _ssh(key: ForgeSshKey, include_unverified: bool) -> Candidate | LeftOut:
    label = f"SSH key {key.title or key.key[:40]}"
    try:
        parsed = keycheck.check_ssh(label, key.key)
    except SignerEditError as exc:
        return LeftOut(label, str(exc).removeprefix(f"{label}: "))
    label = f"SSH key {parsed.fingerprint}" + (f" ({key.title})" if key.title else "")
    if key.verified is not True and not include_unverified:
        said = "has not verified it" if key.verified is False else "does not say if it verified it"
        return LeftOut(label, f"the forge {said}", UNVERIFIED, parsed.fingerprint)
    line = f"{parsed.key_type} {parsed.blob_b64}"
    if parsed.comment and parsed.comment.isprintable():
        line += f" {parsed.comment}"
    return Candidate(
        "ssh", parsed.fingerprint, line.encode("utf-8"), label, (), key.verified is not True
    )


def merged(stored: bytes, offered: bytes) -> bytes | None:
    """The stored certificate with what `offered` (a newer copy of the same key: a later
    expiry, a new subkey, a subkey's revocation) adds to it, armored; None when it adds
    nothing. Merging only adds: a revocation the stored copy carries is never lost."""
    import pysequoia  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = pysequoia.Cert.from_bytes(stored)
        new = pysequoia.Cert.from_bytes(offered)
        if old.fingerprint != new.fingerprint:
            return None
        result = str(old.merge(new))
        return None if result == str(old) else result.encode("ascii")

"""OpenPGP detached signatures over git's signed payload, verified in-process with pysequoia.

`verify` states facts, never policy: "one detached signature, cryptographically good over these
exact bytes, made by subkey S of certificate F at time T". Whether F may sign for a ref, and
whether F (or S) was expired when the push arrived, is the policy's job (it reads
`Keyring.cert_info`). Our own framing (armor.py, packets.py) refuses what pysequoia would let
through: a second armored block, several signature packets, an inline-signed message.

pysequoia answers "no valid signature" for every failure; where the facts show why, and the
pusher needs to know it to fix the commit, the check carries a `SigFault` the policy words:
an unknown key, a subkey its certificate revokes (only when the signature is otherwise good:
checked again against the certificate without its subkey revocations, hard or soft alike), a
subkey its certificate carries without binding it, a date beyond sequoia's clock tolerance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pysequoia

from gitward.model import SigFault, SigKind, SignatureCheck
from gitward.signing import armor
from gitward.signing.openpgp import packets
from gitward.signing.openpgp.certs import CertInfo, inspect_cert
from gitward.signing.openpgp.keyring import Entry, Keyring

__all__ = ["CertInfo", "Keyring", "inspect_cert", "verify"]

# How far in the future sequoia lets a signature be dated (its CLOCK_SKEW_TOLERANCE): one dated
# later never verifies, whatever else is right with it.
CLOCK_SKEW = timedelta(minutes=30)


def _bad(
    problem: str,
    fpr: str | None = None,
    signing: str | None = None,
    created: datetime | None = None,
    fault: SigFault | None = None,
) -> SignatureCheck:
    return SignatureCheck(SigKind.OPENPGP, False, fpr, signing, created, problem, fault)


def verify(
    payload: bytes, signature: bytes, keyring: Keyring, *, refuse_sha1: bool = True
) -> SignatureCheck:
    """Judge one armored detached signature over `payload`. Never raises: bad input gives
    `good=False` and a short `problem`. `key_fingerprint` is the primary key, `signing_key` the
    (sub)key that signed; both are also set for an unknown or failing key when known."""
    try:
        return _verify(payload, signature, keyring, refuse_sha1)
    except Exception as exc:  # fail closed: a verdict, never a traceback, for hostile bytes
        return _bad(f"unreadable OpenPGP signature ({type(exc).__name__})")


def _read(signature: bytes) -> tuple[packets.Packet, packets.SignatureFields] | str:
    """The single signature packet of an armored detached signature, or what is wrong."""
    try:
        block = armor.dearmor(signature, openpgp=True)
    except ValueError as exc:
        return f"malformed OpenPGP signature: {exc}"
    if block.label == "PGP MESSAGE":
        return "not a detached signature (an OpenPGP message)"
    if block.label != "PGP SIGNATURE":
        return f"not an OpenPGP signature ({block.label})"
    if block.rest:
        return armor.trailing_problem(block.rest)
    try:
        found = packets.split_packets(block.data)
        others = [p for p in found if p.tag != packets.SIGNATURE]
        if others:
            return f"not a detached signature (contains {others[0].name})"
        if len(found) != 1:
            return "more than one signature"
        return found[0], packets.parse_signature(found[0].body)
    except ValueError as exc:
        return f"malformed OpenPGP signature: {exc}"


def _verify(
    payload: bytes, signature: bytes, keyring: Keyring, refuse_sha1: bool
) -> SignatureCheck:
    now = datetime.now(UTC)  # before pysequoia reads its clock: never later than its "now"
    read = _read(signature)
    if isinstance(read, str):
        return _bad(read)
    packet, fields = read
    if fields.sig_type not in (0x00, 0x01):
        return _bad(f"not a signature over data (type 0x{fields.sig_type:02x})")
    if refuse_sha1 and fields.hash_algo in packets.WEAK_HASHES:
        return _bad(f"weak hash {fields.hash_name}")
    created = datetime.fromtimestamp(fields.created, UTC) if fields.created is not None else None
    entries = keyring.lookup(fields.issuer_fpr, fields.issuer_keyid)
    if not entries:
        return _not_found(keyring, fields, created)
    if packets.digest_prefix_matches(payload, fields) is False:  # sequoia is slow to say so
        return _bad(
            "bad signature (content changed)", entries[0].primary, fields.issuer_fpr, created
        )
    store = entries[0].store if len(entries) == 1 else [e.cert for e in entries]
    valid = _valid(payload, packet, store)
    if len(valid) != 1:
        return _refused(payload, packet, fields, entries[0], created, now)
    primary, signing = str(valid[0].certificate).upper(), str(valid[0].signing_key).upper()
    info = keyring.cert_info(primary)
    if info is not None and signing in info.revoked_subkeys:  # a soft revocation sequoia let by
        return _revoked_subkey(primary, signing, created)
    return SignatureCheck(SigKind.OPENPGP, True, primary, signing, created)


def _valid(payload: bytes, packet: packets.Packet, store: list[pysequoia.Cert]) -> list[Any]:
    """pysequoia's good signatures over `payload` (it reports every failure as one error)."""
    try:
        sig = pysequoia.Sig.from_bytes(packet.raw)
        return list(
            pysequoia.verify(bytes=payload, store=lambda _ids: store, signature=sig).valid_sigs
        )
    except Exception:  # tampered, revoked, from the future...: the caller finds out which
        return []


def _not_found(
    keyring: Keyring, fields: packets.SignatureFields, created: datetime | None
) -> SignatureCheck:
    """No certificate binds the signing key: unknown, or carried by one that does not bind it."""
    who = fields.issuer_fpr or fields.issuer_keyid
    if who is None:
        return _bad("signature names no signing key")
    carrier = keyring.carrier(fields.issuer_fpr, fields.issuer_keyid)
    if carrier is not None:
        problem = f"signed with subkey {who}, which certificate {carrier.primary} does not bind"
        return _bad(problem, carrier.primary, who, created, SigFault.FOREIGN_SUBKEY)
    return _bad(
        f"signed by unknown key {who}", fields.issuer_fpr, who, created, SigFault.UNKNOWN_KEY
    )


def _refused(
    payload: bytes,
    packet: packets.Packet,
    fields: packets.SignatureFields,
    entry: Entry,
    created: datetime | None,
    now: datetime,
) -> SignatureCheck:
    """Why pysequoia found no good signature, as far as the facts tell."""
    issuer = fields.issuer_fpr
    if created is not None and created > now + CLOCK_SKEW:
        when = f"{created:%Y-%m-%d %H:%M:%S} UTC"
        return _bad(f"signature dated in the future ({when})", entry.primary, issuer, created,
                    SigFault.FUTURE)  # fmt: skip
    if fields.hash_algo in packets.WEAK_HASHES:
        problem = f"bad signature ({fields.hash_name} refused by the verifier)"
        return _bad(problem, entry.primary, issuer, created)
    if entry.revoked:
        return _bad("bad signature (certificate revoked)", entry.primary, issuer, created)
    if entry.info.revoked_subkeys:
        valid = _valid(payload, packet, [entry.unrevoked()])
        signing = str(valid[0].signing_key).upper() if len(valid) == 1 else ""
        if signing in entry.info.revoked_subkeys:
            return _revoked_subkey(entry.primary, signing, created)
    problem = "bad signature (content changed or key unusable)"
    return _bad(problem, entry.primary, issuer, created)


def _revoked_subkey(primary: str, signing: str, created: datetime | None) -> SignatureCheck:
    problem = f"signed with subkey {signing}, which certificate {primary} revokes"
    return _bad(problem, primary, signing, created, SigFault.REVOKED_SUBKEY)

"""OpenPGP detached signatures over git's signed payload, verified in-process with pysequoia.

`verify` states facts, never policy: "one detached signature, cryptographically good over these
exact bytes, made by subkey S of certificate F at time T". Whether F may sign for a ref, and
whether F (or S) was expired or revoked when the push arrived, is the policy's job (it reads
`Keyring.cert_info`). Our own framing (armor.py, packets.py) refuses what pysequoia would let
through: a second armored block, several signature packets, an inline-signed message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import pysequoia

from gitward.model import SigKind, SignatureCheck
from gitward.signing import armor
from gitward.signing.openpgp import packets
from gitward.signing.openpgp.certs import CertInfo, LoadedCert, inspect_cert, load_cert

__all__ = ["CertInfo", "Keyring", "inspect_cert", "verify"]


class _Entry:
    """One certificate in a `Keyring` (compared by identity; a plain class is cheap to import)."""

    __slots__ = ("cert", "primary", "revoked", "store")

    def __init__(self, primary: str, cert: pysequoia.Cert, revoked: bool) -> None:
        self.primary = primary
        self.cert = cert
        self.store = [cert]  # prebuilt answer for pysequoia's key-lookup callback
        self.revoked = revoked


class Keyring:
    """Public certificates, indexed once by every (sub)key fingerprint and key id."""

    def __init__(self, loaded: Iterable[LoadedCert] = ()) -> None:
        self._by_fpr: dict[str, _Entry] = {}
        self._by_keyid: dict[str, list[_Entry]] = {}
        self._infos: dict[str, CertInfo] = {}
        for lc in loaded:
            entry = _Entry(lc.info.fingerprint, lc.cert, lc.info.revoked)
            self._infos[lc.info.fingerprint] = lc.info
            for fpr in lc.key_fprs:
                self._by_fpr[fpr] = entry
            for keyid in lc.key_ids:
                self._by_keyid.setdefault(keyid, []).append(entry)

    @classmethod
    def from_certs(cls, certs: Iterable[bytes]) -> Keyring:
        """Build from armored or binary public keys; the same primary twice is merged.

        Raises ValueError (naming the problem) when one does not parse or is a secret key.
        """
        return cls.from_loaded(load_cert(data) for data in certs)

    @classmethod
    def from_loaded(cls, certs: Iterable[LoadedCert]) -> Keyring:
        """Build from certificates `load_cert` already parsed (the config loader parses each
        once, to check it, and hands it over: no second parse on every push)."""
        by_primary: dict[str, LoadedCert] = {}
        for lc in certs:
            old = by_primary.get(lc.info.fingerprint)
            by_primary[lc.info.fingerprint] = (
                lc if old is None else load_cert(bytes(old.cert.merge(lc.cert)))
            )
        return cls(by_primary.values())

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """Primary fingerprints (upper-case hex) of every certificate."""
        return tuple(self._infos)

    def cert_info(self, fingerprint: str) -> CertInfo | None:
        """Facts about the certificate with this primary fingerprint (any case), or None."""
        return self._infos.get(fingerprint.upper())

    def __len__(self) -> int:
        return len(self._infos)

    def __contains__(self, fingerprint: object) -> bool:
        """True when `fingerprint` names a primary key or subkey of some certificate."""
        return isinstance(fingerprint, str) and fingerprint.upper() in self._by_fpr

    def lookup(self, fpr: str | None, keyid: str | None) -> Sequence[_Entry]:
        """Certificates holding the key with this fingerprint (preferred) or key id."""
        if fpr is not None:
            entry = self._by_fpr.get(fpr)
            return (entry,) if entry is not None else ()
        return self._by_keyid.get(keyid or "", ())


def _bad(
    problem: str,
    fpr: str | None = None,
    signing: str | None = None,
    created: datetime | None = None,
) -> SignatureCheck:
    return SignatureCheck(SigKind.OPENPGP, False, fpr, signing, created, problem)


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
        who = fields.issuer_fpr or fields.issuer_keyid
        problem = f"signed by unknown key {who}" if who else "signature names no signing key"
        return _bad(problem, fields.issuer_fpr, fields.issuer_fpr, created)
    if packets.digest_prefix_matches(payload, fields) is False:  # sequoia is slow to say so
        return _bad(
            "bad signature (content changed)", entries[0].primary, fields.issuer_fpr, created
        )
    store = entries[0].store if len(entries) == 1 else [e.cert for e in entries]
    try:
        sig = pysequoia.Sig.from_bytes(packet.raw)
        valid = pysequoia.verify(bytes=payload, store=lambda _ids: store, signature=sig).valid_sigs
    except Exception:  # pysequoia reports every failure (tampered, revoked...) as one error
        valid = []
    if len(valid) != 1:
        why = "certificate revoked" if entries[0].revoked else "content changed or key unusable"
        if fields.hash_algo in packets.WEAK_HASHES:
            why = f"{fields.hash_name} refused by the verifier"
        return _bad(f"bad signature ({why})", entries[0].primary, fields.issuer_fpr, created)
    return SignatureCheck(
        SigKind.OPENPGP,
        True,
        key_fingerprint=str(valid[0].certificate).upper(),
        signing_key=str(valid[0].signing_key).upper(),
        created_at=created,
    )

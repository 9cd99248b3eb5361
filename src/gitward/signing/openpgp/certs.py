"""OpenPGP certificate facts: who, which keys may sign, until when, revoked or not.

`inspect_cert` reports facts for the CLI (refuse a key with no usable signing key) and for the
policy (expiry and revocation judged at the push's receive time). pysequoia gives the primary
key's expiry and revocation (both checked against valid self-signatures); it does not expose
subkeys, so their flags, expiry and revocation are read from the signatures the primary key
issued in the packets. Those signatures are not checked cryptographically here: pysequoia checks
them when it verifies a data signature, so a forged binding can never make a signature good; it
could only misstate the expiry of a key whose file the admin already trusts. A subkey the
primary key issued no binding for is another certificate's (copied in): it is reported apart
and never indexed as this certificate's key.
"""

import re
import warnings
from datetime import datetime
from typing import NamedTuple

from pysequoia import Cert
from pysequoia.packet import Packet, PacketPile, SignatureType, Tag

_SELF_SIG_TYPES = (
    SignatureType.PositiveCertification, SignatureType.GenericCertification,
    SignatureType.CasualCertification, SignatureType.PersonaCertification,
    SignatureType.DirectKey,
)  # fmt: skip
_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$|^([^<>\s]+@[^<>\s]+)$")


class CertInfo(NamedTuple):
    fingerprint: str  # primary key, upper-case hex
    signing_subkeys: dict[str, datetime | None]  # usable signing subkey fp -> its expiry
    expires_at: datetime | None  # the certificate's (primary key's) expiry
    revoked: bool
    primary_can_sign: bool
    user_emails: tuple[str, ...]
    created_at: datetime
    # Subkeys the certificate binds and revokes (upper-case hex); never in `signing_subkeys`.
    revoked_subkeys: frozenset[str] = frozenset()

    @property
    def can_sign(self) -> bool:
        """True when some (sub)key carries the signing flag (expiry not considered)."""
        return self.primary_can_sign or bool(self.signing_subkeys)


class LoadedCert(NamedTuple):
    """A parsed certificate plus what a keyring needs to find it by any of its keys."""

    cert: Cert
    info: CertInfo
    key_fprs: tuple[str, ...]  # primary first, then every subkey it binds (upper-case hex)
    key_ids: tuple[str, ...]  # the same keys' 16-digit ids
    # Subkeys the certificate carries without binding them (no binding signature by its own
    # primary key): another certificate's keys. Never found as this certificate's.
    foreign_fprs: tuple[str, ...] = ()
    foreign_ids: tuple[str, ...] = ()


def _first_line(exc: BaseException) -> str:
    # pysequoia errors carry a Rust backtrace when RUST_BACKTRACE is set; keep the message only.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _created(sig: Packet) -> float:
    created = sig.signature_created
    return created.timestamp() if created is not None else 0.0


def _newest(sigs: list[Packet]) -> Packet | None:
    return max(sigs, key=_created) if sigs else None


def _issued_by(sig: Packet, key: Packet) -> bool:
    # Third parties certify user ids too; only the key's own signatures say what it may do.
    fpr, keyid = sig.issuer_fingerprint, sig.issuer_key_id
    if fpr is not None:
        return fpr.upper() == (key.fingerprint or "").upper()
    return keyid is not None and keyid.upper() == (key.key_id or "").upper()


def _can_sign(sig: Packet | None) -> bool:
    flags = sig.key_flags if sig is not None else None
    return flags is not None and flags.signing


def load_cert(data: bytes) -> LoadedCert:
    """Parse one armored or binary public certificate; ValueError with a plain message if not."""
    try:
        with warnings.catch_warnings():  # pysequoia deprecates reading secret keys as Cert
            warnings.simplefilter("ignore", DeprecationWarning)
            tags = [p.tag for p in PacketPile.from_bytes(data)]
            certs = Cert.split_bytes(data) if tags and tags[0] == Tag.PublicKey else []
            secret = any(c.secrets is not None for c in certs)
    except Exception as exc:  # pysequoia raises RuntimeError/ValueError for garbage
        raise ValueError(f"not an OpenPGP public key: {_first_line(exc)}") from None
    if secret or Tag.SecretKey in tags or Tag.SecretSubkey in tags:
        raise ValueError("this is a secret key: give the public key (gpg --armor --export KEYID)")
    if not certs:
        raise ValueError("not an OpenPGP public key")
    if len(certs) != 1:
        raise ValueError(f"expected exactly one OpenPGP public key, found {len(certs)}")
    try:
        canonical = list(PacketPile.from_bytes(bytes(certs[0])))
    except Exception as exc:
        raise ValueError(f"not a usable OpenPGP public key: {_first_line(exc)}") from None
    return _facts(certs[0], canonical)


def inspect_cert(data: bytes) -> CertInfo:
    """Facts about one public certificate (armored or binary).

    Raises ValueError (plain message) for garbage, secret keys and several certificates.
    """
    return load_cert(data).info


def _facts(cert: Cert, packets: list[Packet]) -> LoadedCert:
    primary = packets[0]
    primary_fp = (primary.fingerprint or "").upper()
    created = primary.key_created
    if not primary_fp or created is None:
        raise ValueError("OpenPGP public key without fingerprint or creation time")
    primary_sigs: list[Packet] = []
    subkeys: list[tuple[Packet, list[Packet]]] = []
    for p in packets[1:]:
        if p.tag == Tag.PublicSubkey:
            subkeys.append((p, []))
        elif p.tag == Tag.Signature and _issued_by(p, primary):
            (subkeys[-1][1] if subkeys else primary_sigs).append(p)
    self_sigs = [s for s in primary_sigs if s.signature_type in _SELF_SIG_TYPES]
    signing: dict[str, datetime | None] = {}
    revoked: set[str] = set()
    bound: list[Packet] = []
    foreign: list[Packet] = []
    for key, sigs in subkeys:
        binding = _newest([s for s in sigs if s.signature_type == SignatureType.SubkeyBinding])
        if binding is None:
            foreign.append(key)
            continue
        bound.append(key)
        if any(s.signature_type == SignatureType.SubkeyRevocation for s in sigs):
            revoked.add((key.fingerprint or "").upper())
            continue
        if not _can_sign(binding) or key.key_created is None:
            continue
        period = binding.key_validity_period
        signing[(key.fingerprint or "").upper()] = key.key_created + period if period else None
    emails = []
    for uid in cert.user_ids:
        m = _EMAIL.search(str(uid))
        if m:
            emails.append(m.group(1) or m.group(2))
    info = CertInfo(
        fingerprint=primary_fp,
        signing_subkeys=signing,
        expires_at=cert.expiration,
        revoked=cert.is_revoked,
        primary_can_sign=_can_sign(_newest(self_sigs)),
        user_emails=tuple(emails),
        created_at=created,
        revoked_subkeys=frozenset(revoked),
    )
    keys = [primary, *bound]
    return LoadedCert(
        cert,
        info,
        tuple((k.fingerprint or "").upper() for k in keys),
        tuple((k.key_id or "").upper() for k in keys),
        tuple((k.fingerprint or "").upper() for k in foreign),
        tuple((k.key_id or "").upper() for k in foreign),
    )

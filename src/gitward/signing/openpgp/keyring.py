"""The certificates a verifier may find a signing key in, indexed once per configuration load.

A certificate is found by the fingerprint and key id of every key it binds: its primary key
and each subkey its primary key issued a binding signature for. A subkey it carries without
such a binding is another certificate's: indexed apart, so that it can be named in a refusal
but never lets this certificate answer for it (nor hide the certificate that does bind it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pysequoia
from pysequoia.packet import PacketPile, SignatureType, Tag

from gitward.signing.openpgp.certs import CertInfo, LoadedCert, load_cert


class Entry:
    """One certificate in a `Keyring` (compared by identity; a plain class is cheap to import)."""

    __slots__ = ("_unrevoked", "cert", "info", "primary", "revoked", "store")

    def __init__(self, cert: pysequoia.Cert, info: CertInfo) -> None:
        self.primary = info.fingerprint
        self.info = info
        self.cert = cert
        self.store = [cert]  # prebuilt answer for pysequoia's key-lookup callback
        self.revoked = info.revoked
        self._unrevoked: pysequoia.Cert | None = None

    def unrevoked(self) -> pysequoia.Cert:
        """The certificate without its subkey revocations (built once, when first needed):
        whether a revoked subkey's signature is otherwise good."""
        if self._unrevoked is None:
            self._unrevoked = pysequoia.Cert.from_packets(
                [
                    p
                    for p in PacketPile.from_bytes(bytes(self.cert))
                    if p.tag != Tag.Signature or p.signature_type != SignatureType.SubkeyRevocation
                ]
            )
        return self._unrevoked


class Keyring:
    """Public certificates, indexed once by the fingerprint and key id of every key they bind
    (and, apart, of every subkey they carry without binding it)."""

    def __init__(self, loaded: Iterable[LoadedCert] = ()) -> None:
        self._by_fpr: dict[str, list[Entry]] = {}
        self._by_keyid: dict[str, list[Entry]] = {}
        self._foreign: dict[str, Entry] = {}  # fingerprints and key ids of unbound subkeys
        self._infos: dict[str, CertInfo] = {}
        for lc in loaded:
            entry = Entry(lc.cert, lc.info)
            self._infos[lc.info.fingerprint] = lc.info
            for fpr in lc.key_fprs:
                self._by_fpr.setdefault(fpr, []).append(entry)
            for keyid in lc.key_ids:
                self._by_keyid.setdefault(keyid, []).append(entry)
            for key in (*lc.foreign_fprs, *lc.foreign_ids):
                self._foreign.setdefault(key, entry)

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
        """True when `fingerprint` names a primary key or a subkey some certificate binds."""
        return isinstance(fingerprint, str) and fingerprint.upper() in self._by_fpr

    def lookup(self, fpr: str | None, keyid: str | None) -> Sequence[Entry]:
        """Certificates binding the key with this fingerprint (preferred) or key id."""
        if fpr is not None:
            return self._by_fpr.get(fpr, ())
        return self._by_keyid.get(keyid or "", ())

    def carrier(self, fpr: str | None, keyid: str | None) -> Entry | None:
        """A certificate that carries this key as a subkey without binding it, if any."""
        return self._foreign.get(fpr or keyid or "")

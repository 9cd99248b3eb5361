"""Fresh throwaway signing keys for one benchmark run (never written outside its temp dir)."""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

import pysequoia
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@dataclass(frozen=True)
class OpenPGPSigner:
    tsk: pysequoia.Tsk

    @classmethod
    def generate(cls, email: str) -> OpenPGPSigner:
        return cls(pysequoia.Tsk.generate(f"Bench <{email}>"))

    @property
    def public_armored(self) -> bytes:
        return str(self.tsk.extract_certificate()).encode()

    @property
    def fingerprint(self) -> str:
        return self.tsk.extract_certificate().fingerprint.upper()

    def sign(self, payload: bytes) -> bytes:
        signer = self.tsk.signer()
        return pysequoia.sign(signer, payload, mode=pysequoia.SignatureMode.DETACHED)


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


@dataclass(frozen=True)
class SSHSigner:
    """Ed25519 SSHSIG signatures (namespace "git"), as `ssh-keygen -Y sign` makes them."""

    key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SSHSigner:
        return cls(Ed25519PrivateKey.generate())

    @property
    def _blob(self) -> bytes:
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return _string(b"ssh-ed25519") + _string(raw)

    @property
    def public_line(self) -> str:
        return "ssh-ed25519 " + base64.b64encode(self._blob).decode() + " bench"

    @property
    def private_openssh(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )

    def sign(self, payload: bytes) -> bytes:
        namespace, hash_alg = b"git", b"sha512"
        digest = hashlib.sha512(payload).digest()
        signed = b"SSHSIG" + _string(namespace) + _string(b"") + _string(hash_alg)
        signed += _string(digest)
        sig = _string(b"ssh-ed25519") + _string(self.key.sign(signed))
        blob = b"SSHSIG" + struct.pack(">I", 1) + _string(self._blob) + _string(namespace)
        blob += _string(b"") + _string(hash_alg) + _string(sig)
        b64 = base64.b64encode(blob).decode()
        body = "\n".join(b64[i : i + 70] for i in range(0, len(b64), 70))
        return f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----\n".encode()

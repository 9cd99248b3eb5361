"""The public-key arithmetic behind SSH signatures, through `cryptography` (OpenSSL).

Kept apart from `signing.ssh` so that `cryptography` is imported only when an SSH signature is
actually checked. Loaded public keys are cached: a push of many commits by one key pays the
key set-up once.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from gitward.signing.ssh.wire import WireReader

_CURVES: dict[str, tuple[type[ec.EllipticCurve], type[hashes.HashAlgorithm]]] = {
    "ecdsa-sha2-nistp256": (ec.SECP256R1, hashes.SHA256),
    "ecdsa-sha2-nistp384": (ec.SECP384R1, hashes.SHA384),
    "ecdsa-sha2-nistp521": (ec.SECP521R1, hashes.SHA512),
}
_RSA_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "rsa-sha2-256": hashes.SHA256,
    "rsa-sha2-512": hashes.SHA512,
}

_PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@lru_cache(maxsize=256)
def _load(key_type: str, fields: tuple[bytes | int, ...]) -> _PublicKey:
    if key_type == "ssh-ed25519" and isinstance(fields[0], bytes):
        return ed25519.Ed25519PublicKey.from_public_bytes(fields[0])
    if key_type in _CURVES and isinstance(fields[0], bytes):
        return ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[key_type][0](), fields[0])
    if key_type == "ssh-rsa" and isinstance(fields[0], int) and isinstance(fields[1], int):
        return rsa.RSAPublicNumbers(fields[0], fields[1]).public_key()
    raise ValueError(f"unsupported SSH key type {key_type}")


def verify(
    key_type: str, fields: tuple[bytes | int, ...], sig_alg: str, sig: bytes, data: bytes
) -> bool:
    """True when `sig` (the inner SSH signature blob) signs `data` with the given key.

    The caller has already matched `sig_alg` to `key_type`. Malformed keys or signatures give
    False (or ValueError, which the caller turns into a bad verdict), never True.
    """
    key = _load(key_type, fields)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(sig, data)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            r = WireReader(sig)
            der = encode_dss_signature(r.mpint(), r.mpint())
            r.end()
            key.verify(der, data, ec.ECDSA(_CURVES[key_type][1]()))
        else:
            # OpenSSH accepts a signature shorter than the modulus and left-pads it.
            size = (key.key_size + 7) // 8
            if len(sig) > size:
                return False
            key.verify(sig.rjust(size, b"\0"), data, padding.PKCS1v15(), _RSA_HASHES[sig_alg]())
    except InvalidSignature:
        return False
    return True

"""SSH signatures (SSHSIG) over git's signed payload, and SSH public keys.

Format: https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.sshsig . `verify`
states facts: "one SSHSIG, namespace git, cryptographically good, by the key with fingerprint
F" (F exactly as `ssh-keygen -lf` prints it). Whether F may sign is the policy's job. The
cryptography library (about 25 ms to import) is loaded only when an SSH signature is checked;
when it is missing, `verify` raises `VerifierUnavailable` (the server's fault, never a verdict
on the pusher's bytes).
"""

import binascii
import hashlib
from typing import NamedTuple

from gitward.errors import VerifierUnavailable
from gitward.model import SigKind, SignatureCheck
from gitward.signing import armor
from gitward.signing.ssh.wire import WireReader

MAGIC = b"SSHSIG"
_ECDSA = ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")
KEY_TYPES = ("ssh-ed25519", *_ECDSA, "ssh-rsa")
# Signature algorithms each key type may use; "ssh-rsa" signatures (SHA-1) are never accepted.
_SIG_ALGS = {"ssh-ed25519": ("ssh-ed25519",), "ssh-rsa": ("rsa-sha2-256", "rsa-sha2-512")}
_HASHES = (b"sha256", b"sha512")
MIN_RSA_BITS = 2048


class SSHPublicKey(NamedTuple):
    key_type: str
    blob_b64: str
    comment: str
    fingerprint: str  # "SHA256:<unpadded base64>", as `ssh-keygen -lf` prints it


def _string(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def fingerprint(blob: bytes) -> str:
    """`SHA256:` + unpadded base64 of SHA-256 over the public key blob (`ssh-keygen -l`)."""
    digest = binascii.b2a_base64(hashlib.sha256(blob).digest(), newline=False)
    return "SHA256:" + digest.decode("ascii").rstrip("=")


def parse_key_blob(blob: bytes) -> tuple[str, tuple[bytes | int, ...]]:
    """(key type, key fields) of a supported public key blob; ValueError otherwise."""
    r = WireReader(blob)
    key_type = r.string().decode("ascii", "replace")
    fields: tuple[bytes | int, ...]
    if key_type == "ssh-ed25519":
        public = r.string()
        if len(public) != 32:
            raise ValueError("bad ssh-ed25519 key")
        fields = (public,)
    elif key_type in _ECDSA:
        if r.string().decode("ascii", "replace") != key_type.rsplit("-", 1)[1]:
            raise ValueError("ECDSA curve does not match the key type")
        fields = (r.string(),)
    elif key_type == "ssh-rsa":
        e, n = r.mpint(), r.mpint()
        if n.bit_length() < MIN_RSA_BITS:
            raise ValueError(f"RSA key smaller than {MIN_RSA_BITS} bits")
        fields = (e, n)
    else:
        raise ValueError(f"unsupported SSH key type {key_type[:40]!r}")
    r.end()
    return key_type, fields


def parse_public_key(line: str) -> SSHPublicKey:
    """Parse `TYPE BASE64 [COMMENT]` (an OpenSSH .pub line); ValueError with a plain message."""
    parts = line.strip().split(None, 2)
    if len(parts) < 2:
        raise ValueError("expected an SSH public key line: TYPE BASE64 [COMMENT]")
    try:
        blob = binascii.a2b_base64(parts[1].encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("SSH public key: bad base64") from None
    key_type, _ = parse_key_blob(blob)
    if key_type != parts[0]:
        raise ValueError(f"SSH public key says {parts[0][:40]!r} but holds a {key_type} key")
    return SSHPublicKey(key_type, parts[1], parts[2] if len(parts) > 2 else "", fingerprint(blob))


def _bad(problem: str, fpr: str | None = None) -> SignatureCheck:
    return SignatureCheck(SigKind.SSH, False, fpr, fpr, None, problem)


def verify(payload: bytes, signature: bytes, *, namespace: str = "git") -> SignatureCheck:
    """Judge one armored SSHSIG over `payload`. Bad input, however hostile, never raises: it
    gives `good=False` and a short `problem`; `key_fingerprint` is set whenever the embedded key
    could be read. Raises `VerifierUnavailable` only when the cryptography library is missing
    (no verdict can be given; blaming the signature would hide the server's fault)."""
    try:
        return _verify(payload, signature, namespace.encode())
    except VerifierUnavailable:
        raise
    except Exception as exc:  # fail closed: a verdict, never a traceback, for hostile bytes
        return _bad(f"unreadable SSH signature ({type(exc).__name__})")


def _verify(payload: bytes, signature: bytes, namespace: bytes) -> SignatureCheck:
    try:
        block = armor.dearmor(signature, openpgp=False)
    except ValueError as exc:
        return _bad(f"malformed SSH signature: {exc}")
    if block.label != "SSH SIGNATURE":
        return _bad(f"not an SSH signature ({block.label})")
    if block.rest:
        return _bad(armor.trailing_problem(block.rest))
    r = WireReader(block.data)
    try:
        if r.raw(6) != MAGIC:
            return _bad("not an SSH signature (bad magic)")
        if (version := r.uint32()) != 1:
            return _bad(f"unsupported SSH signature version {version}")
        blob, ns, reserved, hash_alg, sig_blob = (r.string() for _ in range(5))
        r.end()
    except ValueError as exc:
        return _bad(f"malformed SSH signature: {exc}")
    fpr = fingerprint(blob)
    try:
        key_type, key = parse_key_blob(blob)
    except ValueError as exc:
        return _bad(str(exc), fpr)
    if ns != namespace:
        found = ns[:40].decode("ascii", "replace")
        return _bad(f"wrong namespace {found!r} (expected {namespace.decode()!r})", fpr)
    if hash_alg not in _HASHES:
        return _bad(f"unsupported hash {hash_alg[:20].decode('ascii', 'replace')!r}", fpr)
    s = WireReader(sig_blob)
    sig_alg, sig = s.string().decode("ascii", "replace"), s.string()
    s.end()
    if sig_alg == "ssh-rsa":
        return _bad("weak hash SHA1 (ssh-rsa signature)", fpr)
    if sig_alg not in _SIG_ALGS.get(key_type, (key_type,)):
        return _bad(f"signature algorithm {sig_alg[:40]!r} does not match the {key_type} key", fpr)
    digest = hashlib.new(hash_alg.decode(), payload).digest()
    signed = MAGIC + _string(ns) + _string(reserved) + _string(hash_alg) + _string(digest)
    if not _arithmetic(key_type, key, sig_alg, sig, signed):
        return _bad("bad signature (content changed or wrong key)", fpr)
    return SignatureCheck(SigKind.SSH, True, fpr, fpr, None, None)


def _arithmetic(
    key_type: str, key: tuple[bytes | int, ...], sig_alg: str, sig: bytes, signed: bytes
) -> bool:
    """sshcrypto.verify, loaded on first use; `VerifierUnavailable` when cryptography is
    missing (no verdict is possible, and it is not the signature's fault)."""
    try:
        from gitward.signing.ssh import crypto as sshcrypto  # noqa: PLC0415 (cryptography: ~25 ms)

        return sshcrypto.verify(key_type, key, sig_alg, sig, signed)
    except ImportError as exc:  # also a lazy import inside cryptography: the install is broken
        raise VerifierUnavailable(f"SSH signatures need the cryptography library: {exc}") from exc

"""Signature adapters: turn (payload, signature) into a `model.SignatureCheck` (facts, no policy).

The format is chosen by the signature's first line, as git does (gpg-interface.c,
`sigs[]`/`get_format_by_sig`), through a table of formats, not an if-chain:
OpenPGP (also "PGP MESSAGE", which openpgp refuses as not detached), SSH, X.509 (refused:
gitward does not support it). Nothing here imports gnupg, GitPython, yaml, flask or requests.
"""

from __future__ import annotations

from collections.abc import Callable

from gitward.errors import VerifierUnavailable
from gitward.model import SigKind, SignatureCheck
from gitward.signing import openpgp, ssh
from gitward.signing.openpgp import CertInfo, Keyring, inspect_cert

__all__ = ["FORMATS", "CertInfo", "Keyring", "inspect_cert", "verify_signature"]

_Verifier = Callable[[bytes, bytes, Keyring, bool], SignatureCheck]


def _openpgp(
    payload: bytes, signature: bytes, keyring: Keyring, refuse_sha1: bool
) -> SignatureCheck:
    return openpgp.verify(payload, signature, keyring, refuse_sha1=refuse_sha1)


def _ssh(payload: bytes, signature: bytes, keyring: Keyring, refuse_sha1: bool) -> SignatureCheck:
    return ssh.verify(payload, signature, namespace="git")


def _x509(payload: bytes, signature: bytes, keyring: Keyring, refuse_sha1: bool) -> SignatureCheck:
    return SignatureCheck(SigKind.X509, False, problem="X.509 signatures are not supported")


FORMATS: dict[str, _Verifier] = {
    "-----BEGIN PGP SIGNATURE-----": _openpgp,
    "-----BEGIN PGP MESSAGE-----": _openpgp,
    "-----BEGIN SSH SIGNATURE-----": _ssh,
    "-----BEGIN SIGNED MESSAGE-----": _x509,
}


def verify_signature(
    payload: bytes, signature: bytes, keyring: Keyring, *, refuse_sha1: bool = True
) -> SignatureCheck:
    """Judge `signature` (an armored block as found in a gpgsig header or a tag) over `payload`.

    Bad input never raises: an unknown format or hostile bytes give `good=False` with a
    `problem`. Raises `VerifierUnavailable` when a library needed for this format is missing
    (the server's fault: the hook refuses the push and tells the admin, whatever the rule mode).
    """
    first = signature[:64].split(b"\n", 1)[0].rstrip(b"\r \t")
    verifier = FORMATS.get(first.decode("ascii", "replace"))
    if verifier is None:
        return SignatureCheck(SigKind.UNKNOWN, False, problem="unknown signature format")
    try:
        return verifier(payload, signature, keyring, refuse_sha1)
    except VerifierUnavailable:
        raise
    except Exception:  # fail closed (the verifiers already never raise; belt and braces)
        return SignatureCheck(SigKind.UNKNOWN, False, problem="unreadable signature")

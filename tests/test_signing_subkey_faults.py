"""The OpenPGP adapter says why a signature is not good when the pusher can act on it: a subkey
its certificate revokes, a subkey the certificate does not bind (another certificate's), a date
in the future, an unknown key. Keys and signatures made by real gpg for this run (revocations
by `gpg --edit-key`, dates by `--faked-system-time`); GnuPG is the reference verifier."""

from __future__ import annotations

import binascii
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import gnupg
import gwgpg
import pytest

from gitward.model import SigFault
from gitward.signing import armor, inspect_cert, verify_signature
from gitward.signing.openpgp import Keyring

PAYLOAD = b"tree 4b825dc642cb6eb9a060e0d6896e8bec68c07a5e\n\nJIRA-1: deploy\n"


def stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


class Dora(NamedTuple):
    """A certificate-only primary key with four signing subkeys, and what they signed."""

    home: Path
    primary: str
    kept: str  # never revoked
    hard: str  # revoked as compromised (reason 1) after signing
    soft: str  # revoked as no longer used (reason 3) after signing
    cert: bytes  # exported after the revocations
    signed: dict[str, bytes]  # subkey -> its signature over PAYLOAD, made before any revocation


@pytest.fixture(scope="module")
def dora() -> Dora:
    home = gwgpg.new_home()
    primary = gwgpg.make_key(home, "Dora Example <dora@example.org>", usage="cert")
    kept, hard, soft = (gwgpg.add_subkey(home, primary) for _ in range(3))
    signed = {key: gwgpg.sign(home, key, PAYLOAD) for key in (kept, hard, soft)}
    gwgpg.revoke_subkey(home, primary, hard, reason=1)
    gwgpg.revoke_subkey(home, primary, soft, reason=3)
    return Dora(home, primary, kept, hard, soft, gwgpg.export(home, primary), signed)


def gnupg_says(dora: Dora, tmp: Path, sig: bytes) -> tuple[bool, str]:
    """GnuPG's verdict and status, with the certificate as exported (revocations included)."""
    home = gwgpg.new_home()
    gwgpg.gpg(home, "--import", input=dora.cert)
    sig_file = tmp / "sig.asc"
    sig_file.write_bytes(sig)
    result = gnupg.GPG(gnupghome=str(home)).verify_data(str(sig_file), PAYLOAD)
    gwgpg.stop_agent(home)
    return bool(result.valid), str(result.status)


def test_inspect_cert_lists_revoked_subkeys_apart(dora: Dora) -> None:
    info = inspect_cert(dora.cert)
    assert info.revoked_subkeys == {dora.hard, dora.soft}
    assert set(info.signing_subkeys) == {dora.kept}


@pytest.mark.parametrize("which", ["hard", "soft"])
def test_a_revoked_subkey_is_named_not_called_a_bad_signature(
    dora: Dora, tmp_path: Path, which: str
) -> None:
    subkey = getattr(dora, which)
    check = verify_signature(PAYLOAD, dora.signed[subkey], Keyring.from_certs([dora.cert]))
    assert (check.good, check.fault) == (False, SigFault.REVOKED_SUBKEY)
    assert (check.key_fingerprint, check.signing_key) == (dora.primary, subkey)
    assert check.problem == f"signed with subkey {subkey}, which certificate {dora.primary} revokes"
    # GnuPG refuses it too (a revoked key), whether hard or soft.
    assert gnupg_says(dora, tmp_path, dora.signed[subkey])[0] is False


def test_a_revoked_subkey_is_only_named_when_the_signature_is_otherwise_good(dora: Dora) -> None:
    ring = Keyring.from_certs([dora.cert])
    sig = dora.signed[dora.hard]
    changed = verify_signature(PAYLOAD + b"!", sig, ring)
    assert (changed.fault, changed.problem) == (None, "bad signature (content changed)")
    block = armor.dearmor(sig, openpgp=True)
    tampered = bytearray(block.data)
    tampered[-5] ^= 0x01  # inside the signature value
    forged = verify_signature(PAYLOAD, _rearmor(bytes(tampered)), ring)
    assert forged.fault is None
    assert forged.problem == "bad signature (content changed or key unusable)"


def test_the_subkey_left_unrevoked_still_signs(dora: Dora) -> None:
    check = verify_signature(PAYLOAD, dora.signed[dora.kept], Keyring.from_certs([dora.cert]))
    assert check.good and (check.key_fingerprint, check.signing_key) == (dora.primary, dora.kept)


def test_a_signature_dated_in_the_future_says_so(dora: Dora, tmp_path: Path) -> None:
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=400)
    sig = gwgpg.sign(dora.home, dora.kept, PAYLOAD, at=stamp(later))
    check = verify_signature(PAYLOAD, sig, Keyring.from_certs([dora.cert]))
    assert (check.good, check.fault, check.created_at) == (False, SigFault.FUTURE, later)
    assert check.problem == f"signature dated in the future ({later:%Y-%m-%d %H:%M:%S} UTC)"
    # A documented difference (docs/signatures.md): GnuPG 2.2 calls it valid.
    assert gnupg_says(dora, tmp_path, sig)[0] is True


def test_a_clock_a_few_minutes_fast_is_tolerated(dora: Dora) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=10)
    sig = gwgpg.sign(dora.home, dora.kept, PAYLOAD, at=stamp(soon))
    assert verify_signature(PAYLOAD, sig, Keyring.from_certs([dora.cert])).good


@pytest.fixture(scope="module")
def erin(dora: Dora) -> tuple[str, bytes]:
    """(primary, certificate) of Erin's own key carrying Dora's `kept` subkey, copied in with
    the binding signature Dora's primary key made for it."""
    primary = gwgpg.make_key(dora.home, "Erin Example <erin@example.org>")
    own = gwgpg.export(dora.home, primary)
    return primary, gwgpg.graft_subkey(own, dora.cert, dora.kept)


def test_a_subkey_another_certificate_binds_is_a_foreign_subkey(
    dora: Dora, erin: tuple[str, bytes]
) -> None:
    erin_fpr, erin_cert = erin
    ring = Keyring.from_certs([erin_cert])
    assert dora.kept not in ring  # carried, not bound: never Erin's key
    check = verify_signature(PAYLOAD, dora.signed[dora.kept], ring)
    assert (check.good, check.fault) == (False, SigFault.FOREIGN_SUBKEY)
    assert (check.key_fingerprint, check.signing_key) == (erin_fpr, dora.kept)
    assert (
        check.problem
        == f"signed with subkey {dora.kept}, which certificate {erin_fpr} does not bind"
    )


@pytest.mark.parametrize("erin_first", [True, False])
def test_a_copied_subkey_never_hides_the_certificate_that_binds_it(
    dora: Dora, erin: tuple[str, bytes], erin_first: bool
) -> None:
    certs = [erin[1], dora.cert] if erin_first else [dora.cert, erin[1]]
    check = verify_signature(PAYLOAD, dora.signed[dora.kept], Keyring.from_certs(certs))
    assert check.good and check.key_fingerprint == dora.primary


def test_a_key_no_certificate_holds_is_unknown(dora: Dora, erin: tuple[str, bytes]) -> None:
    own = gwgpg.export(dora.home, erin[0])
    check = verify_signature(PAYLOAD, dora.signed[dora.hard], Keyring.from_certs([own]))
    assert (check.good, check.fault, check.signing_key) == (False, SigFault.UNKNOWN_KEY, dora.hard)
    assert check.problem == f"signed by unknown key {dora.hard}"


def _rearmor(data: bytes) -> bytes:
    b64 = binascii.b2a_base64(data, newline=False)
    crc = binascii.b2a_base64(armor.crc24(data).to_bytes(3, "big"), newline=False)
    return (
        b"-----BEGIN PGP SIGNATURE-----\n\n"
        + b64
        + b"\n="
        + crc
        + b"\n-----END PGP SIGNATURE-----\n"
    )

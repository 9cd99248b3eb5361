"""OpenPGP signatures made by real gpg through real `git commit -S`, judged by gitward.signing.

python-gnupg (GnuPG itself) is the reference verifier: our verdict must equal its verdict on a
corpus of real signatures, except for the documented decisions tested below (SHA-1 refused;
an expired key's old signature is cryptographically good and expiry is left to the policy).
"""

from __future__ import annotations

import binascii
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gnupg
import gwkeys
import pysequoia
import pytest

from gitward.model import SigKind
from gitward.signing import armor, inspect_cert, verify_signature
from gitward.signing.openpgp import Keyring, packets, verify

NOW = datetime.now(UTC)


def commit_by(
    repo: Path, home: Path, who: str, message: str = "Add a feature"
) -> tuple[bytes, bytes]:
    return gwkeys.signed_payload(repo, home, "openpgp", who, message)


def rearmor(data: bytes, label: str = "PGP SIGNATURE") -> bytes:
    """Armor `data` with a correct CRC24, as gpg does."""
    b64 = binascii.b2a_base64(data, newline=False)
    lines = b"\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    crc = binascii.b2a_base64(armor.crc24(data).to_bytes(3, "big"), newline=False)
    begin, end = f"-----BEGIN {label}-----".encode(), f"-----END {label}-----".encode()
    return begin + b"\n\n" + lines + b"\n=" + crc + b"\n" + end + b"\n"


def gnupg_valid(home: Path, tmp: Path, payload: bytes, sig: bytes) -> bool:
    sig_file = tmp / "sig.asc"
    sig_file.write_bytes(sig)
    return bool(gnupg.GPG(gnupghome=str(home)).verify_data(str(sig_file), payload).valid)


def test_good_signature_by_alice_signing_subkey(
    repo: Path, gnupghome: Path, keyring_all: Keyring
) -> None:
    payload, sig = commit_by(repo, gnupghome, "alice")
    check = verify_signature(payload, sig, keyring_all)
    assert check.kind is SigKind.OPENPGP and check.good, check.problem
    assert check.key_fingerprint == gwkeys.fingerprint("alice")
    assert check.signing_key == gwkeys.signing_fingerprint("alice") != check.key_fingerprint
    assert check.created_at is not None and abs(check.created_at - NOW) < timedelta(minutes=5)


def test_good_signature_by_bob_rsa(repo: Path, gnupghome: Path, keyring_all: Keyring) -> None:
    payload, sig = commit_by(repo, gnupghome, "bob")
    check = verify_signature(payload, sig, keyring_all)
    assert check.good and check.key_fingerprint == check.signing_key == gwkeys.fingerprint("bob")


def test_text_mode_signature_is_accepted(gnupghome: Path, keyring_all: Keyring) -> None:
    payload = b"tree 1234\n\nmessage\n"
    sig = gwkeys.gpg_sign(gnupghome, "carol", payload, "--textmode")
    assert verify(payload, sig, keyring_all).good


def test_key_not_in_keyring_is_unknown_with_its_fingerprint(repo: Path, gnupghome: Path) -> None:
    payload, sig = commit_by(repo, gnupghome, "mallory")
    check = verify_signature(payload, sig, gwkeys.keyring(("alice", "bob")))
    assert not check.good
    assert check.problem == f"signed by unknown key {gwkeys.fingerprint('mallory')}"
    assert check.key_fingerprint == gwkeys.fingerprint("mallory")


def test_key_in_keyring_but_not_allowed_is_good_for_the_policy_to_judge(
    repo: Path, gnupghome: Path, keyring_all: Keyring
) -> None:
    payload, sig = commit_by(repo, gnupghome, "mallory")
    check = verify_signature(payload, sig, keyring_all)
    assert check.good and check.key_fingerprint == gwkeys.fingerprint("mallory")


def test_tampered_payload_or_signature_is_bad(
    repo: Path, gnupghome: Path, keyring_all: Keyring
) -> None:
    payload, sig = commit_by(repo, gnupghome, "alice", "Fix a bug")
    check = verify_signature(payload.replace(b"Fix a bug", b"Fix a bag"), sig, keyring_all)
    assert not check.good and check.problem == "bad signature (content changed)"
    assert check.key_fingerprint == gwkeys.fingerprint("alice")  # claimed, for the message
    data = bytearray(armor.dearmor(sig, openpgp=True).data)
    data[-5] ^= 0x01  # inside the signature value itself, CRC recomputed
    check = verify_signature(payload, rearmor(bytes(data)), keyring_all)
    assert not check.good and check.problem == "bad signature (content changed or key unusable)"


@pytest.mark.parametrize("digest", ["SHA224", "SHA256", "SHA384", "SHA512", "SHA1"])
def test_digest_prefix_precheck_agrees_with_gnupg(gnupghome: Path, digest: str) -> None:
    """The early reject must never refuse a good signature, and must catch changed payloads."""
    payload = b"tree 1234\n\nmessage\n"
    sig = gwkeys.gpg_sign(gnupghome, "bob", payload, "--digest-algo", digest)
    [packet] = packets.split_packets(armor.dearmor(sig, openpgp=True).data)
    fields = packets.parse_signature(packet.body)
    assert fields.hash_name == digest
    assert packets.digest_prefix_matches(payload, fields) is True
    changed = [packets.digest_prefix_matches(payload + bytes([i]), fields) for i in range(5)]
    assert False in changed  # each has a 1/65536 chance to match by accident
    text = gwkeys.gpg_sign(gnupghome, "bob", payload, "--textmode", "--digest-algo", digest)
    [packet] = packets.split_packets(armor.dearmor(text, openpgp=True).data)
    assert packets.digest_prefix_matches(payload, packets.parse_signature(packet.body)) is None


def test_wrong_armor_checksum_is_refused_like_gnupg(
    repo: Path, gnupghome: Path, keyring_all: Keyring
) -> None:
    payload, sig = commit_by(repo, gnupghome, "carol")
    lines = sig.split(b"\n")
    crc_at = next(i for i, ln in enumerate(lines) if ln.startswith(b"="))
    lines[crc_at] = b"=AAAA" if lines[crc_at] != b"=AAAA" else b"=AAAB"
    check = verify_signature(payload, b"\n".join(lines), keyring_all)
    assert (
        not check.good and check.problem == "malformed OpenPGP signature: armor checksum mismatch"
    )


def test_two_signatures_in_one_header_are_refused(
    repo: Path, gnupghome: Path, keyring_all: Keyring
) -> None:
    payload, sig_alice = commit_by(repo, gnupghome, "alice", "Same message")
    sig_bob = gwkeys.gpg_sign(gnupghome, "bob", payload)
    assert verify_signature(payload, sig_bob, keyring_all).good
    # Two armored blocks one after the other, either order.
    for two in (sig_alice + sig_bob, sig_bob + sig_alice):
        check = verify_signature(payload, two, keyring_all)
        assert not check.good and check.problem == "more than one signature"
    # Two signature packets inside one armored block.
    packets = (
        armor.dearmor(sig_alice, openpgp=True).data + armor.dearmor(sig_bob, openpgp=True).data
    )
    check = verify_signature(payload, rearmor(packets), keyring_all)
    assert not check.good and check.problem == "more than one signature"


def test_inline_signed_message_is_not_a_detached_signature(
    gnupghome: Path, keyring_all: Keyring
) -> None:
    payload = b"tree 1234\n\nmessage\n"
    done = subprocess.run(
        ["gpg", "--batch", "--armor", "--sign", "-u", gwkeys.signing_fingerprint("carol") + "!"],
        input=payload,
        env={"GNUPGHOME": str(gnupghome), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    message = done.stdout
    assert message.startswith(b"-----BEGIN PGP MESSAGE-----")
    check = verify_signature(payload, message, keyring_all)
    assert not check.good and check.problem == "not a detached signature (an OpenPGP message)"
    # The same packets relabelled as a signature block are refused too.
    relabelled = rearmor(armor.dearmor(message, openpgp=True).data)
    check = verify_signature(payload, relabelled, keyring_all)
    assert not check.good and check.problem is not None
    assert check.problem.startswith("not a detached signature")


def test_signature_type_other_than_document_is_refused(
    gnupghome: Path, keyring_all: Keyring
) -> None:
    payload = b"data\n"
    data = bytearray(armor.dearmor(gwkeys.gpg_sign(gnupghome, "carol", payload), openpgp=True).data)
    assert data[0] == 0xC2 or data[0] & 0xC0 == 0x80  # a signature packet
    type_at = 3 if data[0] == 0xC2 or data[0] & 3 == 0 else 4  # header: tag + 1 length octet
    data[type_at] = 0x13  # positive certification
    check = verify_signature(payload, rearmor(bytes(data)), keyring_all)
    assert not check.good and check.problem == "not a signature over data (type 0x13)"


def test_sha1_is_refused_although_gnupg_accepts_it(
    gnupghome: Path, keyring_all: Keyring, tmp_path: Path
) -> None:
    """Documented verdict difference: GnuPG 2.2 still accepts SHA-1 data signatures."""
    payload = b"tree 1234\n\nmessage\n"
    sig = gwkeys.gpg_sign(gnupghome, "carol", payload, "--digest-algo", "SHA1")
    assert gnupg_valid(gnupghome, tmp_path, payload, sig)
    check = verify_signature(payload, sig, keyring_all)
    assert not check.good and check.problem == "weak hash SHA1"
    # refuse_sha1=False does not make it good either: pysequoia's standard policy refuses it.
    assert not verify_signature(payload, sig, keyring_all, refuse_sha1=False).good


def test_expired_key_old_signature_is_good_and_expiry_is_reported(
    gnupghome: Path, keyring_all: Keyring, tmp_path: Path
) -> None:
    """Documented layering: GnuPG says "key expired"; we report the facts, the policy refuses."""
    payload = b"tree 1234\n\nold work\n"
    sig = gwkeys.gpg_sign(gnupghome, "expired", payload)
    check = verify_signature(payload, sig, keyring_all)
    assert check.good and check.key_fingerprint == gwkeys.fingerprint("expired")
    assert check.created_at == datetime(2020, 6, 1, tzinfo=UTC)
    info = inspect_cert(gwkeys.public_key("expired"))
    assert info.expires_at is not None and info.expires_at < NOW
    assert not gnupg_valid(gnupghome, tmp_path, payload, sig)


def test_revoked_key_is_reported_revoked(repo: Path, gnupghome: Path, keyring_all: Keyring) -> None:
    assert inspect_cert(gwkeys.public_key("revoked")).revoked
    assert not inspect_cert(gwkeys.public_key("alice")).revoked
    payload, sig = commit_by(repo, gnupghome, "revoked")
    check = verify_signature(payload, sig, keyring_all)
    assert not check.good and check.problem == "bad signature (certificate revoked)"
    assert check.key_fingerprint == gwkeys.fingerprint("revoked")


def test_inspect_cert_reports_signing_keys_and_emails() -> None:
    alice = inspect_cert(gwkeys.public_key("alice"))
    assert alice.fingerprint == gwkeys.fingerprint("alice")
    assert not alice.primary_can_sign and alice.can_sign
    assert alice.signing_subkeys == {gwkeys.signing_fingerprint("alice"): None}
    assert alice.user_emails == ("alice@example.com",) and alice.expires_at is None
    bob = inspect_cert(gwkeys.public_key("bob"))
    assert bob.primary_can_sign and bob.signing_subkeys == {} and bob.created_at < NOW


def test_inspect_cert_subkey_expiry_and_no_signing_key(tmp_path: Path) -> None:
    home = gwkeys.gnupg_home()
    try:
        env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
        gpg = ["gpg", "--batch", "--passphrase", "", "--pinentry-mode", "loopback"]
        subprocess.run(
            [*gpg, "--quick-gen-key", "Dora <dora@example.com>", "ed25519", "cert", "never"],
            env=env,
            check=True,
            capture_output=True,
        )
        export = [*gpg, "--armor", "--export", "dora@example.com"]
        bare = subprocess.run(export, env=env, check=True, capture_output=True).stdout
        info = inspect_cert(bare)
        assert not info.can_sign and info.signing_subkeys == {}
        subprocess.run(
            [*gpg, "--quick-add-key", info.fingerprint, "ed25519", "sign", "2y"],
            env=env,
            check=True,
            capture_output=True,
        )
        full = inspect_cert(subprocess.run(export, env=env, check=True, capture_output=True).stdout)
        [(sub, expiry)] = full.signing_subkeys.items()
        assert sub != full.fingerprint and full.expires_at is None
        assert expiry is not None and timedelta(days=700) < expiry - NOW < timedelta(days=740)
    finally:
        gwkeys.remove_gnupg_home(home)


def test_third_party_certification_does_not_hide_the_primary_signing_flag() -> None:
    home = gwkeys.gnupg_home()
    try:
        env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
        gpg = ["gpg", "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""]
        certify = ["--default-key", gwkeys.fingerprint("carol"), "--quick-sign-key"]
        subprocess.run(
            [*gpg, *certify, gwkeys.fingerprint("bob")], env=env, check=True, capture_output=True
        )
        export = [*gpg, "--armor", "--export", gwkeys.fingerprint("bob")]
        certified = subprocess.run(export, env=env, check=True, capture_output=True).stdout
    finally:
        gwkeys.remove_gnupg_home(home)
    assert len(certified) > len(gwkeys.public_key("bob"))  # carol's certification is in there
    assert inspect_cert(certified).primary_can_sign


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((gwkeys.KEYS_DIR / "alice.sec.asc").read_bytes(), "secret key"),
        (b"garbage", "not an OpenPGP public key"),
        (b"", "not an OpenPGP public key"),
        (gwkeys.public_key("alice") + gwkeys.public_key("bob"), "exactly one"),
        ((gwkeys.KEYS_DIR / "revoked.rev.asc").read_bytes(), "not an OpenPGP public key"),
        (gwkeys.public_key("alice") + (gwkeys.KEYS_DIR / "bob.sec.asc").read_bytes(), "secret key"),
    ],
)
def test_inspect_cert_refuses_what_is_not_one_public_key(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inspect_cert(data)


def test_keyring_refuses_secret_keys_and_merges_duplicates() -> None:
    with pytest.raises(ValueError, match="secret key"):
        Keyring.from_certs([(gwkeys.KEYS_DIR / "bob.sec.asc").read_bytes()])
    ring = Keyring.from_certs([gwkeys.public_key("alice"), gwkeys.public_key("alice")])
    assert ring.fingerprints == (gwkeys.fingerprint("alice"),)
    assert gwkeys.signing_fingerprint("alice").lower() in ring
    info = ring.cert_info(gwkeys.fingerprint("alice").lower())
    assert info is not None and info.signing_subkeys


def test_verdicts_equal_gnupg_on_a_corpus(
    repo: Path, gnupghome: Path, keyring_all: Keyring, tmp_path: Path
) -> None:
    corpus: list[tuple[bytes, bytes]] = []
    messages = ["feat: one", "fix: naïve ünïcode ✓", "x" * 3000, "line\r\nwith CRLF\n\ntrailer: y"]
    for who in ("alice", "bob", "carol", "mallory"):
        for message in messages:
            corpus.append(commit_by(repo, gnupghome, who, message))
    corpus += [(p + b"!", s) for p, s in corpus[::4]]  # tampered: 4 more, all bad
    verdicts = [
        (verify_signature(p, s, keyring_all).good, gnupg_valid(gnupghome, tmp_path, p, s))
        for p, s in corpus
    ]
    assert len(verdicts) == 20 and sum(ours for ours, _ in verdicts) == 16
    assert all(ours == theirs for ours, theirs in verdicts), verdicts


def test_sequoia_issuer_fingerprint_is_the_signing_subkey(gnupghome: Path) -> None:
    """Guards an assumption verify relies on: pysequoia names the subkey as issuer."""
    sig = pysequoia.Sig.from_bytes(gwkeys.gpg_sign(gnupghome, "alice", b"x"))
    assert (sig.issuer_fingerprint or "").upper() == gwkeys.signing_fingerprint("alice")

"""SSH signatures made by real ssh-keygen through real `git commit -S`, judged by gitward.signing.

`ssh-keygen -Y check-novalidate` is the reference: our verdict must equal its verdict.
"""

from __future__ import annotations

import binascii
import hashlib
import random
import subprocess
from pathlib import Path

import gwkeys
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from gwpush import hide_in_process

from gitward.errors import VerifierUnavailable
from gitward.model import SigKind
from gitward.signing import armor, ssh, verify_signature
from gitward.signing.openpgp import Keyring

SSH_WHO = ("alice", "bob", "carol", "mallory")


def commit_by(
    repo: Path, home: Path, who: str, message: str = "Add a feature"
) -> tuple[bytes, bytes]:
    return gwkeys.signed_payload(repo, home, "ssh", who, message)


def keygen_signed(tmp_path: Path, key_type: str, bits: str) -> tuple[Path, bytes, bytes]:
    """A fresh ssh-keygen key and its `ssh-keygen -Y sign -n git` signature of a payload."""
    key = tmp_path / f"{key_type}{bits}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-b", bits, "-N", "", "-f", str(key)], check=True
    )
    payload = b"tree 1\n\nmsg\n"
    return key, payload, gwkeys.ssh_sign_with(key, payload)


def keygen_fingerprint(pub: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()[1]


def keygen_accepts(tmp: Path, payload: bytes, sig: bytes) -> bool:
    (tmp / "sig").write_bytes(sig)
    done = subprocess.run(
        ["ssh-keygen", "-Y", "check-novalidate", "-n", "git", "-s", str(tmp / "sig")],
        input=payload,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _s(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def sshsig(pub_blob: bytes, sig_alg: bytes, sig: bytes) -> bytes:
    """Assemble an armored SSHSIG by hand (namespace git, hash sha512)."""
    blob = b"SSHSIG" + (1).to_bytes(4, "big") + _s(pub_blob) + _s(b"git") + _s(b"") + _s(b"sha512")
    blob += _s(_s(sig_alg) + _s(sig))
    b64 = binascii.b2a_base64(blob, newline=False)
    body = b"\n".join(b64[i : i + 70] for i in range(0, len(b64), 70))
    return b"-----BEGIN SSH SIGNATURE-----\n" + body + b"\n-----END SSH SIGNATURE-----\n"


def signed_data(payload: bytes) -> bytes:
    """What an SSHSIG (namespace git, sha512) signs: PROTOCOL.sshsig, "Signed Data"."""
    digest = hashlib.sha512(payload).digest()
    return b"SSHSIG" + _s(b"git") + _s(b"") + _s(b"sha512") + _s(digest)


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])  # ed25519, ecdsa p256, rsa 3072
def test_good_signature_names_the_key_like_ssh_keygen(
    repo: Path, gnupghome: Path, keyring_all: Keyring, who: str
) -> None:
    payload, sig = commit_by(repo, gnupghome, who)
    check = verify_signature(payload, sig, keyring_all)
    assert check.kind is SigKind.SSH and check.good, check.problem
    pub = gwkeys.KEYS_DIR / f"{gwkeys.ssh_private_key(who).name}.pub"
    assert check.key_fingerprint == check.signing_key == keygen_fingerprint(pub)
    assert check.key_fingerprint == gwkeys.ssh_fingerprint(who)


@pytest.mark.parametrize("bits", ["384", "521"])
def test_other_ecdsa_curves(tmp_path: Path, bits: str) -> None:
    key, payload, sig = keygen_signed(tmp_path, "ecdsa", bits)
    check = ssh.verify(payload, sig)
    assert check.good and check.key_fingerprint == keygen_fingerprint(key.with_suffix(".pub"))
    assert not ssh.verify(payload + b"x", sig).good


def test_mallory_is_good_with_her_fingerprint_for_the_policy(
    repo: Path, gnupghome: Path, keyring_all: Keyring
) -> None:
    payload, sig = commit_by(repo, gnupghome, "mallory")
    check = verify_signature(payload, sig, keyring_all)
    assert check.good
    assert check.key_fingerprint == keygen_fingerprint(gwkeys.KEYS_DIR / "mallory_ed25519.pub")


def test_wrong_namespace_is_refused() -> None:
    payload = b"tree 1\n\nmsg\n"
    check = ssh.verify(payload, gwkeys.ssh_sign("alice", payload, namespace="file"))
    assert not check.good and check.problem == "wrong namespace 'file' (expected 'git')"
    assert check.key_fingerprint == gwkeys.ssh_fingerprint("alice")


def test_tampered_payload_or_signature_is_bad(repo: Path, gnupghome: Path) -> None:
    payload, sig = commit_by(repo, gnupghome, "bob", "Fix a bug")
    check = ssh.verify(payload.replace(b"Fix a bug", b"Fix a bag"), sig)
    assert not check.good and check.problem == "bad signature (content changed or wrong key)"
    data = bytearray(armor.dearmor(sig, openpgp=False).data)
    data[-3] ^= 0x01
    b64 = binascii.b2a_base64(bytes(data), newline=False)
    forged = b"-----BEGIN SSH SIGNATURE-----\n" + b64 + b"\n-----END SSH SIGNATURE-----\n"
    assert not ssh.verify(payload, forged).good


def test_two_signatures_are_refused() -> None:
    payload = b"tree 1\n\nmsg\n"
    two = gwkeys.ssh_sign("alice", payload) + gwkeys.ssh_sign("bob", payload)
    check = verify_signature(payload, two, Keyring())
    assert not check.good and check.problem == "more than one signature"


def test_ssh_rsa_sha1_signature_is_refused() -> None:
    key = serialization.load_ssh_private_key((gwkeys.KEYS_DIR / "carol_rsa").read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    pub_blob = binascii.a2b_base64(gwkeys.ssh_public_key("carol").split()[1])
    payload = b"tree 1\n\nmsg\n"
    for alg, digest, verdict in [
        (b"rsa-sha2-256", hashes.SHA256(), True),
        (b"ssh-rsa", hashes.SHA1(), False),  # noqa: S303 (forged on purpose)
    ]:
        sig = key.sign(signed_data(payload), padding.PKCS1v15(), digest)
        check = ssh.verify(payload, sshsig(pub_blob, alg, sig))
        assert check.good is verdict, check.problem
    assert check.problem == "weak hash SHA1 (ssh-rsa signature)"


@pytest.mark.parametrize("who", SSH_WHO)
def test_parse_public_key_matches_ssh_keygen(who: str) -> None:
    key = ssh.parse_public_key(gwkeys.ssh_public_key(who))
    assert key.fingerprint == gwkeys.ssh_fingerprint(who)
    assert key.comment == gwkeys.email(who)
    assert key.key_type == gwkeys.ssh_public_key(who).split()[0]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "expected an SSH public key line"),
        ("ssh-ed25519 !!!!", "bad base64"),
        ("ssh-rsa " + gwkeys.ssh_public_key("alice").split()[1], "holds a ssh-ed25519 key"),
        ("sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t", "unsupported"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA=", "bad ssh-ed25519 key"),
    ],
)
def test_parse_public_key_refuses_garbage(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ssh.parse_public_key(line)


def test_verdicts_equal_ssh_keygen_on_a_corpus(repo: Path, gnupghome: Path, tmp_path: Path) -> None:
    corpus = [
        commit_by(repo, gnupghome, who, message)
        for who in SSH_WHO
        for message in ("feat: one", "fix: ünïcode ✓", "line\r\nCRLF\n\nSigned-off-by: x")
    ]
    corpus += [(p + b"!", s) for p, s in corpus[::2]]  # tampered: all bad
    corpus.append((b"x", gwkeys.ssh_sign("alice", b"x", namespace="file")))
    verdicts = [(ssh.verify(p, s).good, keygen_accepts(tmp_path, p, s)) for p, s in corpus]
    assert len(verdicts) == 19 and sum(ours for ours, _ in verdicts) == 12
    assert all(ours == theirs for ours, theirs in verdicts), verdicts


def test_small_rsa_key_is_refused_although_ssh_keygen_accepts_it(tmp_path: Path) -> None:
    """Documented verdict difference: OpenSSH accepts RSA keys from 1024 bits, we from 2048."""
    key, payload, sig = keygen_signed(tmp_path, "rsa", "1024")
    assert keygen_accepts(tmp_path, payload, sig)
    check = ssh.verify(payload, sig)
    assert not check.good and check.problem == "RSA key smaller than 2048 bits"
    assert check.key_fingerprint == keygen_fingerprint(key.with_suffix(".pub"))


def test_security_key_signatures_are_not_supported() -> None:
    """Documented limitation: FIDO (sk-*) keys are refused, whatever the signature says."""
    pub_blob = _s(b"sk-ssh-ed25519@openssh.com") + _s(b"\x01" * 32) + _s(b"ssh:")
    check = ssh.verify(b"x", sshsig(pub_blob, b"sk-ssh-ed25519@openssh.com", b"\x00" * 69))
    assert not check.good
    assert check.problem == "unsupported SSH key type 'sk-ssh-ed25519@openssh.com'"


def armored(data: bytes) -> bytes:
    b64 = binascii.b2a_base64(data, newline=False)
    return b"-----BEGIN SSH SIGNATURE-----\n" + b64 + b"\n-----END SSH SIGNATURE-----\n"


def test_a_missing_library_raises_while_garbage_still_gets_a_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without cryptography no verdict can be given on a well-formed signature: that is the
    server's fault (VerifierUnavailable), not the pusher's. Bytes that are refused before any
    arithmetic still get their plain verdict and never raise."""
    payload = b"tree 1\n\nmsg\n"
    real = gwkeys.ssh_sign("alice", payload)
    data = armor.dearmor(real, openpgp=False).data
    rng = random.Random(7)  # noqa: S311  # reproducible garbage, not a secret
    garbage = [
        b"",
        b"-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----\n",
        armored(b"NOTSIG" + data[6:]),
        *(armored(data[:cut]) for cut in range(0, len(data), 7)),
        *(armored(rng.randbytes(n)) for n in (1, 10, 100, 1000)),
        *(armored(b"SSHSIG\0\0\0\1" + rng.randbytes(n)) for n in (4, 40, 400)),
        gwkeys.ssh_sign("alice", payload, namespace="file"),
        real + real,
    ]
    forged = bytearray(data)
    forged[-3] ^= 0x01
    hide_in_process(monkeypatch, "cryptography", "gitward.signing.ssh.crypto")
    for sig in garbage:
        check = ssh.verify(payload, sig)
        assert not check.good and check.problem, sig
        assert not verify_signature(payload, sig, Keyring()).good
    for sig in (real, armored(bytes(forged))):  # well-formed: only the arithmetic can judge
        with pytest.raises(VerifierUnavailable, match="cryptography"):
            ssh.verify(payload, sig)
        with pytest.raises(VerifierUnavailable, match="cryptography"):
            verify_signature(payload, sig, Keyring())
    monkeypatch.undo()
    assert ssh.verify(payload, real).good
    assert not ssh.verify(payload, armored(bytes(forged))).good

"""Which forge keys a signer may get (`signers.candidates`), for the odd shapes a forge can
send: garbage where a key should be, another key than the one listed, a key that cannot sign,
an SSH key that does not parse; and what merging a newer copy of a certificate adds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import gwgpg
import gwkeyforge as kf
import pytest
from pysequoia.packet import Tag

from gitward.errors import SignerEditError
from gitward.forges.userkeys import ForgeGpgKey, ForgeSshKey
from gitward.signers import candidates
from gitward.signers.candidates import UNUSABLE, UNVERIFIED, WITHDRAWN, Candidate, LeftOut

NOW = datetime.now(UTC)


def github_key(
    key: kf.Key,
    armored: str | None,
    *,
    revoked: bool = False,
    verified: bool | None = None,
    emails: tuple[tuple[str, bool], ...] | None = None,
) -> ForgeGpgKey:
    listed = emails if emails is not None else ((key.email, True),)
    return ForgeGpgKey(key.key_id, listed, revoked, verified, armored, None)


def sort(*gpg: ForgeGpgKey, ssh: tuple[ForgeSshKey, ...] = (), **kw: bool) -> candidates.Sorted:
    return candidates.from_forge(gpg, ssh, None, NOW, **kw)


def test_an_export_that_is_no_keyring_stops_the_import() -> None:
    with pytest.raises(SignerEditError, match="the forge's key export cannot be read"):
        candidates.export_certs(b"<html>login</html>")


def test_only_a_lone_primary_key_packet_has_a_fingerprint(keys: kf.KeySet) -> None:
    binary = gwgpg.gpg(keys.home, "--export", keys.sam.fingerprint)
    assert candidates.packet_fingerprint(binary) is None  # a whole certificate
    assert candidates.packet_fingerprint(b"\xff\x00garbage") is None
    subkey = next(p for p in kf._packets(binary) if p.tag == Tag.PublicSubkey)
    packet = gwgpg._packet(int(Tag.PublicSubkey), bytes(subkey.body))
    assert candidates.packet_fingerprint(packet) is None  # a subkey is no primary key
    primary = kf._key_packet(kf._packets(binary)[0])
    assert candidates.packet_fingerprint(primary) == keys.sam.fingerprint


def test_a_copy_that_is_no_key_or_another_key_is_left_out(keys: kf.KeySet) -> None:
    garbage = github_key(keys.dana, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnope\n")
    other = github_key(keys.dana, keys.rob.armored().decode())
    result = sort(garbage, other)
    assert result.admitted == ()
    first, second = result.left_out
    assert first.reason.startswith("not an OpenPGP public key")
    assert second.reason == f"the forge's copy is another key ({keys.rob.fingerprint})"
    # Neither says which fingerprint it has; its key id still names the key a signer holds.
    assert first.fingerprint is None and first.names(keys.dana.fingerprint)
    assert result.left_out_as(keys.dana.fingerprint) == first


def test_a_key_failing_a_check_of_add_is_unusable(keys: kf.KeySet) -> None:
    home = gwgpg.new_home()
    certify_only = kf.Key(home, gwgpg.make_key(home, "Cert Only <c@example.org>", usage="cert"),
                          "Cert Only <c@example.org>")  # fmt: skip
    wrong_email = github_key(keys.dana, keys.dana.armored().decode(), emails=(("x@y.z", True),))
    result = sort(github_key(certify_only, certify_only.armored().decode()), wrong_email)
    assert [(o.kind, o.fingerprint) for o in result.left_out] == [
        (UNUSABLE, certify_only.fingerprint),
        (UNUSABLE, keys.dana.fingerprint),
    ]
    assert "has no usable signing key" in result.left_out[0].reason
    assert "none of them is x@y.z" in result.left_out[1].reason
    assert not result.left_out[1].reason.startswith("OpenPGP key")  # no label twice


def test_what_the_forge_says_decides_the_kind(keys: kf.KeySet) -> None:
    armored = keys.dana.armored().decode()
    revoked = sort(github_key(keys.dana, armored, revoked=True)).left_out[0]
    unverified = sort(github_key(keys.dana, armored, verified=False)).left_out[0]
    assert (revoked.kind, revoked.reason) == (WITHDRAWN, "revoked")
    assert (unverified.kind, unverified.reason) == (UNVERIFIED, "the forge has not verified it")
    (taken,) = sort(
        github_key(keys.dana, armored, verified=False), include_unverified=True
    ).admitted
    assert taken.unverified and taken.emails == (keys.dana.email,)


def test_ssh_keys_that_do_not_parse_and_their_comments(tmp_path: Path, keys: kf.KeySet) -> None:
    broken = ForgeSshKey("ssh-ed25519 AAAAnotakey", "old laptop", True)
    commented = ForgeSshKey(f"{keys.ssh} dana@laptop", "", True)
    hostile = ForgeSshKey(f"{keys.ssh_rsa} a\u0007b", "", True)
    result = sort(ssh=(broken, commented, hostile))
    (left,) = result.left_out
    assert (left.label, left.kind) == ("SSH key old laptop", UNUSABLE)
    assert left.reason.startswith("not an SSH public key")
    lines = [c.data.decode() for c in result.admitted]
    assert lines == [f"{keys.ssh} dana@laptop", keys.ssh_rsa]  # an unprintable comment is dropped
    assert all(not c.unverified for c in result.admitted)
    unknown = ForgeSshKey(keys.ssh, "", False)
    assert sort(ssh=(unknown,)).left_out[0].reason == "the forge has not verified it"


def test_merging_adds_only_what_is_new(keys: kf.KeySet) -> None:
    dana = keys.dana.armored()
    assert candidates.merged(dana, dana) is None
    assert candidates.merged(dana, keys.rob.armored()) is None  # another key: nothing to merge


def test_a_left_out_key_names_a_v6_key_by_the_start_of_its_fingerprint() -> None:
    v6 = "AB" * 32
    assert LeftOut("k", "r", key_id=v6[:16]).names(v6)
    assert not LeftOut("k", "r").names(v6)
    assert Candidate("ssh", "SHA256:x", b"", "k").emails == ()

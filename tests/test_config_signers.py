"""Signer files: validation, key files, validity windows, one owner per key."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import gwkeys
import pytest
from gwpush import Signer, write_config

from gitward import config
from gitward.config import signers_file
from gitward.errors import ConfigError
from gitward.policy import spec

POLICY = """\
rules:
  - id: r
    refs: [refs/heads/main]
    signatures: {signers: [group:maintainers]}
"""
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def setup(tmp: Path, files: dict[str, str], keys: dict[str, str] | None = None) -> Path:
    """Write a policy, signer files and keys/<FPR>.asc (fingerprint -> test key name)."""
    (tmp / "policy.yaml").write_text(POLICY)
    signers = tmp / "signers"
    (signers / "keys").mkdir(parents=True)
    for name, text in files.items():
        (signers / name).write_text(text)
    for fpr, who in (keys or {}).items():
        (signers / "keys" / f"{fpr}.asc").write_bytes(gwkeys.public_key(who))
    return tmp / "policy.yaml"


def signer(sid: str, key: str = "", extra: str = "") -> str:
    fpr = gwkeys.fingerprint(key or sid)
    return (
        f"id: {sid}\nname: {sid.title()}\nemails: [{sid}@example.com]\ngroups: [maintainers]\n"
        f"openpgp:\n  - fingerprint: {fpr}\n{extra}"
    )


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        config.load(path, now=NOW)
    return [p.replace(str(path.parent) + "/", "") for p in err.value.problems]


def test_a_signer_with_keys_and_validity_windows(tmp_path: Path) -> None:
    ssh = gwkeys.ssh_public_key("alice")
    text = signer(
        "alice",
        extra=(
            "    not_before: 2026-01-01\n"  # a date: midnight UTC
            "    not_after: 2027-01-01 12:00:00\n"  # naive: UTC
            "    revoked_since: '2026-06-01T00:00:00+02:00'\n"  # an ISO string with a zone
            f"ssh:\n  - key: {ssh}\n    not_before: 2026-02-01T10:00:00Z\n"
        ),
    )
    fpr = gwkeys.fingerprint("alice")
    loaded = config.load(setup(tmp_path, {"alice.yaml": text}, {fpr: "alice"}), now=NOW)
    alice = loaded.signers.by_id("alice")
    assert alice is not None
    (pgp,) = alice.openpgp_keys
    assert pgp.fingerprint == fpr
    assert pgp.validity == spec.KeyValidity(
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, 12, tzinfo=UTC),
        datetime(2026, 5, 31, 22, tzinfo=UTC),
    )
    assert gwkeys.signing_fingerprint("alice") in pgp.signing_subkeys
    assert not pgp.primary_can_sign  # alice's primary only certifies
    assert pgp.user_emails == ("alice@example.com",)
    (sk,) = alice.ssh_keys
    assert sk.fingerprint == gwkeys.ssh_fingerprint("alice")
    assert sk.public_key == ssh
    assert sk.validity.not_before == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert loaded.signers.owner_of(fpr) == (alice, pgp)
    assert loaded.warnings == ()


def test_every_signer_problem_is_reported(tmp_path: Path) -> None:
    alice, bob = gwkeys.fingerprint("alice"), gwkeys.fingerprint("bob")
    files = {
        "alice.yaml": signer(
            "alice", extra="    not_before: 2026-02-01\n    not_after: 2026-01-01\n"
        ),
        "robert.yaml": signer("bob"),  # id is not the file name
        "carol.yaml": signer("carol", extra="    revoked_since: someday\n"),  # no key file
        "dave.yaml": "id: dave\nname: Dave\nemails: [dave]\nopenpgp:\n"
        f"  - fingerprint: {alice}\n",  # alice's key, bad e-mail
        "erin.yaml": f"id: erin\nname: Erin\nemails: [e@x.org]\nopenpgp:\n  - fingerprint: {bob}\n"
        "ssh:\n  - key: ssh-ed25519 AAAAnotakey\n",
        "frank.yaml": "id: frank\nname: Frank\nemails: [f@x.org]\nkeys: []\n",
        "gina.yml": "id: gina\n",
    }
    # keys/<bob's fingerprint>.asc holds mallory's key: the file name lies.
    path = setup(tmp_path, files, {alice: "alice", bob: "mallory"})
    found = problems_of(path)
    assert (
        "signers/alice.yaml:8: openpgp[0].not_after: expected a date after not_before "
        "(2026-02-01)" in found
    )
    assert "signers/robert.yaml:1: id: expected 'robert' (the file name), got 'bob'" in found
    assert (
        "signers/carol.yaml:7: openpgp[0].revoked_since: expected a date (2026-01-31) or "
        'a date and time (2026-01-31T12:00:00Z), got "someday"' in found
    )
    assert 'signers/dave.yaml:3: emails[0]: expected an e-mail address, got "dave"' in found
    assert any(
        p.startswith(
            "signers/erin.yaml:5: openpgp[0].fingerprint: expected the primary fingerprint of"
        )
        and gwkeys.fingerprint("mallory") in p
        for p in found
    )
    assert any(
        p.startswith("signers/erin.yaml:7: ssh[0].key: expected an SSH public key") for p in found
    )
    assert any(p.startswith('signers/frank.yaml:4: keys: unknown key "keys"') for p in found)
    assert "signers/gina.yml:1: signer files must be named <id>.yaml" in found


def test_missing_or_secret_key_files(tmp_path: Path) -> None:
    carol = gwkeys.fingerprint("carol")
    path = setup(tmp_path, {"carol.yaml": signer("carol")})
    assert any("openpgp[0].fingerprint: expected the key in" in p for p in problems_of(path))
    secret = gwkeys.KEYS_DIR / "carol.sec.asc"
    (tmp_path / "signers" / "keys" / f"{carol}.asc").write_bytes(secret.read_bytes())
    assert any("secret key" in p for p in problems_of(path))


def test_a_key_has_only_one_owner(tmp_path: Path) -> None:
    alice = gwkeys.fingerprint("alice")
    files = {"alice.yaml": signer("alice"), "zed.yaml": signer("zed", key="alice")}
    found = problems_of(setup(tmp_path, files, {alice: "alice"}))
    assert found == [
        f"signers/zed.yaml:1: key {alice} already belongs to signer 'alice'; "
        "a key may have only one owner"
    ]


def test_dead_keys_load_with_a_warning(tmp_path: Path) -> None:
    files = {"expired.yaml": signer("expired"), "revoked.yaml": signer("revoked")}
    keys = {gwkeys.fingerprint(n): n for n in ("expired", "revoked")}
    loaded = config.load(setup(tmp_path, files, keys), now=NOW)
    warnings = [w.replace(str(tmp_path) + "/", "") for w in loaded.warnings]
    assert warnings == [
        f"signers/expired.yaml:6: openpgp[0]: key {gwkeys.fingerprint('expired')} expired on "
        "2020-12-31; it cannot sign",
        f"signers/revoked.yaml:6: openpgp[0]: key {gwkeys.fingerprint('revoked')} is revoked; "
        "it cannot sign",
    ]
    revoked = loaded.signers.by_id("revoked")
    assert revoked is not None and revoked.openpgp_keys[0].cert_revoked


def test_hidden_and_other_files_are_ignored(tmp_path: Path) -> None:
    alice = gwkeys.fingerprint("alice")
    files = {
        "alice.yaml": signer("alice"),
        ".lock": "",
        "README.md": "# signers\n",
        ".alice.yaml.x.tmp": "garbage: [",
    }
    result = signers_file.load_dir(setup(tmp_path, files, {alice: "alice"}).parent / "signers")
    assert result.problems == []
    assert [s.id for s in result.signers.signers] == ["alice"]
    assert signers_file.load_dir(tmp_path / "absent").signers == spec.Signers()


def test_each_certificate_is_parsed_once_per_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The hook loads the config on every push: the checked certificate goes to the Keyring as
    # it is, instead of being parsed a second time.
    from gitward.signing.openpgp import certs, keyring

    example = Path(__file__).resolve().parents[1] / "config" / "policy.yaml"
    signers = {"alice": Signer(ssh=True), "bob": Signer()}
    policy = write_config(tmp_path, example.read_text(), signers)
    # The example's content rule names its allowlist, beside the policy.
    (tmp_path / "secrets-allowlist.yaml").write_bytes(
        (example.parent / "secrets-allowlist.yaml").read_bytes()
    )
    shutil.copytree(example.parent / "rego", tmp_path / "rego")  # and its Rego policies
    calls: list[int] = []
    real = certs.load_cert

    def counting(data: bytes) -> certs.LoadedCert:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(certs, "load_cert", counting)
    monkeypatch.setattr(keyring, "load_cert", counting)
    loaded = config.load(policy)
    assert len(loaded.keyring) == 2  # alice and bob
    assert len(calls) == 2

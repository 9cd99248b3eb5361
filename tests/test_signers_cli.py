"""`gitward signers ...`: admitted keys only, layout kept, atomic, locked, audited."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path

import gwkeys
import pytest
from pysequoia.packet import PacketPile, Tag

from gitward import config
from gitward.cli import main
from gitward.config import signers_file
from gitward.errors import SignerEditError
from gitward.signers import add as signers_add

POLICY = """\
settings: {audit_log: log/audit.jsonl}
rules:
  - id: signed
    refs: [refs/heads/main]
    signatures: {signers: [group:maintainers, carol]}
"""


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GITWARD_ACTOR", "tester")
    (tmp_path / "policy.yaml").write_text(POLICY)
    return tmp_path


def key(tmp: Path, name: str, data: bytes | None = None) -> str:
    path = tmp / f"in-{name}"
    path.write_bytes(gwkeys.public_key(name) if data is None else data)
    return str(path)


def ssh(tmp: Path, name: str) -> str:
    path = tmp / f"in-{name}.pub"
    path.write_text(gwkeys.ssh_public_key(name) + "\n")
    return str(path)


def gw(cfg: Path, *args: str) -> int:
    return main(["signers", "--config", str(cfg), *args])


def add(cfg: Path, name: str, *extra: str) -> int:
    return gw(
        cfg,
        "add",
        name,
        "--name",
        f"{name.title()} Example",
        "--email",
        gwkeys.email(name),
        "--group",
        "maintainers",
        *extra,
    )


def audit_log(cfg: Path) -> list[dict[str, object]]:
    lines = (cfg / "log" / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def without_signing_key() -> bytes:
    """alice's certificate without its signing subkey: a primary that may only certify."""
    out = b""
    for p in PacketPile.from_bytes(gwkeys.public_key("alice")):
        if p.tag == Tag.PublicSubkey:
            break
        body = bytes(p.body)
        assert len(body) < 192
        out += bytes([0xC0 | int(p.tag), len(body)]) + body
    return out


def test_add_list_show(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(cfg, "alice", "--gpg-key", key(cfg, "alice"), "--ssh-key", ssh(cfg, "alice")) == 0
    fpr = gwkeys.fingerprint("alice")
    stored = (cfg / "signers" / "keys" / f"{fpr}.asc").read_text()
    assert stored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert gw(cfg, "list") == 0
    assert "alice" in capsys.readouterr().out
    assert gw(cfg, "list", "--json") == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["id"] == "alice" and entry["groups"] == ["maintainers"]
    assert entry["openpgp"][0]["fingerprint"] == fpr
    assert entry["ssh"][0]["fingerprint"] == gwkeys.ssh_fingerprint("alice")
    assert gw(cfg, "show", "alice") == 0
    assert fpr in capsys.readouterr().out
    assert gw(cfg, "show", "nobody") == 1
    assert "no signer 'nobody'" in capsys.readouterr().err
    # The result is exactly what the hook will load.
    assert add(cfg, "carol", "--gpg-key", key(cfg, "carol")) == 0
    loaded = config.load(cfg)
    assert loaded.signers.members(("group:maintainers",)) == {"alice", "carol"}
    assert [(r["event"], r["actor"], r["signer"]) for r in audit_log(cfg)] == [
        ("signers.add", "tester", "alice"), ("signers.add", "tester", "carol"),
    ]  # fmt: skip
    assert not list((cfg / "signers").rglob("*.tmp"))


@pytest.mark.parametrize(
    ("who", "data", "expected"),
    [
        ("alice", b"hello", "not an OpenPGP public key"),
        ("alice", None, "secret key"),
        ("expired", None, "expired on 2020-12-31"),
        ("revoked", None, "is revoked"),
        ("alice", without_signing_key(), "has no usable signing key"),
        ("carol", None, "none of them is"),  # bob's e-mail given for carol's key
    ],
)
def test_unusable_keys_are_refused(
    cfg: Path, capsys: pytest.CaptureFixture[str], who: str, data: bytes | None, expected: str
) -> None:
    if expected == "secret key":
        data = (gwkeys.KEYS_DIR / "alice.sec.asc").read_bytes()
    email = gwkeys.email("bob" if who == "carol" else who)
    code = gw(cfg, "add", "x", "--name", "X", "--email", email, "--gpg-key", key(cfg, who, data))
    assert code == 1
    assert expected in capsys.readouterr().err
    assert not (cfg / "signers" / "x.yaml").exists()


def test_email_mismatch_can_be_overridden_and_binary_keys_are_armored(cfg: Path) -> None:
    from pysequoia import Cert

    binary = bytes(Cert.from_bytes(gwkeys.public_key("carol")))
    args = ["--name", "C", "--email", "c@corp.example", "--gpg-key", key(cfg, "carol", binary)]
    assert gw(cfg, "add", "carol", *args) == 1
    assert gw(cfg, "add", "carol", *args, "--allow-email-mismatch") == 0
    stored = cfg / "signers" / "keys" / f"{gwkeys.fingerprint('carol')}.asc"
    assert stored.read_text().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_duplicates_are_refused(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(cfg, "alice", "--gpg-key", key(cfg, "alice"), "--ssh-key", ssh(cfg, "alice")) == 0
    assert add(cfg, "alice") == 1
    assert "signer 'alice' already exists" in capsys.readouterr().err
    email = ["--email", "alice@example.com", "--name", "Twin"]
    assert gw(cfg, "add", "twin", *email, "--gpg-key", key(cfg, "alice")) == 1
    assert "already belongs to signer 'alice'" in capsys.readouterr().err
    assert gw(cfg, "add", "twin", *email, "--ssh-key", ssh(cfg, "alice")) == 1
    assert "already belongs to signer 'alice'" in capsys.readouterr().err
    assert gw(cfg, "add", "Bad/Id", *email) == 1
    assert "id: expected a signer id" in capsys.readouterr().err


HAND_WRITTEN = """\
# Bob, maintained by hand.
id: bob
name: Bob Example   # display name
emails: [bob@example.com]
groups: [maintainers]

openpgp:
  # the laptop key
  - fingerprint: {fpr}
    not_before: 2026-01-01 # since the onboarding
ssh:
  - key: {ssh}   # yubikey
"""


def test_revoke_keeps_comments_and_layout(cfg: Path) -> None:
    fpr = gwkeys.fingerprint("bob")
    (cfg / "signers" / "keys").mkdir(parents=True)
    (cfg / "signers" / "keys" / f"{fpr}.asc").write_bytes(gwkeys.public_key("bob"))
    original = HAND_WRITTEN.format(fpr=fpr, ssh=gwkeys.ssh_public_key("bob"))
    (cfg / "signers" / "bob.yaml").write_text(original)
    assert gw(cfg, "revoke", "bob", "--key", fpr.lower(), "--since", "2026-06-01") == 0
    text = (cfg / "signers" / "bob.yaml").read_text()
    assert text == original.replace("onboarding\n", "onboarding\n    revoked_since: 2026-06-01\n")
    ssh_fpr = gwkeys.ssh_fingerprint("bob")
    assert gw(cfg, "revoke", "bob", "--key", ssh_fpr, "--since", "2026-07-01T10:00:00+02:00") == 0
    bob = signers_file.load_dir(cfg / "signers").signers.by_id("bob")
    assert bob is not None
    assert bob.ssh_keys[0].validity.revoked_since is not None
    assert bob.ssh_keys[0].validity.revoked_since.isoformat() == "2026-07-01T08:00:00+00:00"
    assert "# yubikey" in (cfg / "signers" / "bob.yaml").read_text()
    events = audit_log(cfg)
    assert [e["event"] for e in events] == ["signers.revoke", "signers.revoke"]
    assert events[0]["details"] == {
        "key": fpr,
        "revoked_since": "2026-06-01T00:00:00Z",
        "previous": None,
    }


def test_revocation_only_moves_earlier(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(cfg, "alice", "--gpg-key", key(cfg, "alice")) == 0
    fpr = gwkeys.fingerprint("alice")
    assert gw(cfg, "revoke", "alice", "--key", fpr, "--since", "2026-06-01") == 0
    assert gw(cfg, "revoke", "alice", "--key", fpr, "--since", "2026-09-01") == 1
    assert "already revoked since 2026-06-01" in capsys.readouterr().err
    assert gw(cfg, "revoke", "alice", "--key", fpr, "--since", "2026-03-01") == 0
    alice = signers_file.load_dir(cfg / "signers").signers.by_id("alice")
    assert alice is not None and alice.openpgp_keys[0].validity.revoked_since is not None
    assert alice.openpgp_keys[0].validity.revoked_since.month == 3
    assert gw(cfg, "revoke", "alice", "--key", "SHA256:nope") == 1
    assert "has no key 'SHA256:nope'" in capsys.readouterr().err
    # Without --since: revoked from now on.
    assert add(cfg, "carol", "--gpg-key", key(cfg, "carol")) == 0
    assert gw(cfg, "revoke", "carol", "--key", gwkeys.fingerprint("carol")) == 0


def test_remove_is_refused_while_the_policy_needs_the_signer(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(cfg, "alice", "--gpg-key", key(cfg, "alice")) == 0
    assert add(cfg, "bob", "--gpg-key", key(cfg, "bob")) == 0
    carol = ["--name", "Carol", "--email", "carol@example.com"]
    assert gw(cfg, "add", "carol", *carol, "--gpg-key", key(cfg, "carol")) == 0
    assert gw(cfg, "remove", "carol") == 1  # named by the rule
    assert "rules[0].signatures.signers[1]" in capsys.readouterr().err
    assert gw(cfg, "remove", "alice") == 0  # bob is still a maintainer
    assert gw(cfg, "remove", "bob") == 1  # the last one
    assert "signer group" in capsys.readouterr().err
    assert not (cfg / "signers" / "alice.yaml").exists()
    assert not (cfg / "signers" / "keys" / f"{gwkeys.fingerprint('alice')}.asc").exists()
    assert (cfg / "signers" / "keys" / f"{gwkeys.fingerprint('bob')}.asc").exists()
    assert gw(cfg, "remove", "alice") == 1
    assert [e["event"] for e in audit_log(cfg)][-1] == "signers.remove"
    config.load(cfg)  # still valid


def test_a_second_editor_waits_then_fails(cfg: Path) -> None:
    located = config.locate(cfg)
    new = signers_add.NewSigner(
        "carol",
        "Carol",
        ("carol@example.com",),
        gpg_keys=(("carol.asc", gwkeys.public_key("carol")),),
    )
    (cfg / "signers").mkdir()
    fd = os.open(cfg / "signers" / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(SignerEditError, match="another signer edit is in progress"):
            signers_add.add(located, new, lock_timeout=0.3)
        assert time.monotonic() - started >= 0.3
        # Released while the second editor waits: it then goes ahead.
        threading.Timer(0.2, fcntl.flock, (fd, fcntl.LOCK_UN)).start()
        signers_add.add(located, new, lock_timeout=5)
    finally:
        os.close(fd)
    assert (cfg / "signers" / "carol.yaml").exists()


def test_an_edit_that_cannot_be_audited_is_undone(cfg: Path) -> None:
    (cfg / "log" / "audit.jsonl").mkdir(parents=True)  # a directory: appending fails
    assert add(cfg, "alice", "--gpg-key", key(cfg, "alice")) == 1
    assert not (cfg / "signers" / "alice.yaml").exists()
    assert not list((cfg / "signers" / "keys").iterdir())


def test_edits_need_valid_settings(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (cfg / "policy.yaml").write_text(POLICY.replace("audit_log:", "audit_logg:"))
    assert add(cfg, "alice", "--gpg-key", key(cfg, "alice")) == 1
    assert "fix the policy's settings first" in capsys.readouterr().err


def test_ids_cannot_escape_the_signers_directory(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cfg / "signers").mkdir()
    assert gw(cfg, "remove", "../policy") == 1
    assert "expected a signer id" in capsys.readouterr().err
    assert (cfg / "policy.yaml").exists()
    assert gw(cfg, "revoke", "../policy", "--key", "SHA256:x") == 1
    assert "expected a signer id" in capsys.readouterr().err


def test_revoking_in_a_broken_file_fails_cleanly(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cfg / "signers").mkdir()
    (cfg / "signers" / "bob.yaml").write_text("id: bob\nname: [unclosed\n")
    assert gw(cfg, "revoke", "bob", "--key", gwkeys.fingerprint("bob")) == 1
    assert "not valid YAML" in capsys.readouterr().err
    (cfg / "signers" / "bob.yaml").write_text("- just a list\n")
    assert gw(cfg, "revoke", "bob", "--key", gwkeys.fingerprint("bob")) == 1
    assert "expected a mapping" in capsys.readouterr().err

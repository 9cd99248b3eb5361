"""Adding keys to and regrouping an existing signer: the contract of every signer edit, and
version tokens that refuse an edit made against an older file."""

from __future__ import annotations

import json
from pathlib import Path

import gwadmin
import gwkeys
import pytest

from gitward import config
from gitward.config import signers_file
from gitward.errors import SignerEditError
from gitward.signers import edit, keys, version


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return gwadmin.write_config(tmp_path / "cfg")


def test_keys_are_added_with_their_files_and_audited(cfg: Path) -> None:
    located = config.locate(cfg)
    fprs = keys.add_keys(
        located,
        "bob",
        [("bob.asc", gwkeys.public_key("bob"))],
        [("carol.pub", gwkeys.ssh_public_key("carol"))],
        actor="tester",
    )
    assert fprs == [gwkeys.fingerprint("bob"), gwkeys.ssh_fingerprint("carol")]
    assert (cfg / "signers" / "keys" / f"{gwkeys.fingerprint('bob')}.asc").exists()
    bob = signers_file.load_dir(cfg / "signers").signers.by_id("bob")
    assert bob is not None
    assert len(bob.openpgp_keys) == 1
    assert len(bob.ssh_keys) == 2
    last = json.loads((cfg / "audit.jsonl").read_text().splitlines()[-1])
    assert (last["event"], last["actor"], last["details"]["keys"]) == (
        "signers.add_keys",
        "tester",
        fprs,
    )


@pytest.mark.parametrize(
    ("signer", "gpg", "ssh", "message"),
    [
        ("bob", [], [], "no key given"),
        ("nobody", [], [("k", "ssh-ed25519 AAAA")], "no signer 'nobody'"),
        ("bob", [], [("k", gwkeys.ssh_public_key("bob"))], "already belongs to signer 'bob'"),
        (
            "bob",
            [],
            [("k", gwkeys.ssh_public_key("carol"))] * 2,
            "was given twice",
        ),
        ("bob", [("k", gwkeys.public_key("carol"))], [], "none of them is bob@example.com"),
    ],
)
def test_keys_that_cannot_be_added(
    cfg: Path, signer: str, gpg: list[tuple[str, bytes]], ssh: list[tuple[str, str]], message: str
) -> None:
    before = (cfg / "signers" / "bob.yaml").read_text()
    with pytest.raises(SignerEditError, match=message):
        keys.add_keys(config.locate(cfg), signer, gpg, ssh)
    assert (cfg / "signers" / "bob.yaml").read_text() == before


def test_an_edit_the_audit_log_cannot_record_is_undone(cfg: Path) -> None:
    located = config.locate(cfg)
    before = (cfg / "signers" / "bob.yaml").read_text()
    (cfg / "audit.jsonl").unlink()
    (cfg / "audit.jsonl").mkdir()  # appending to it fails
    with pytest.raises(SignerEditError, match="the change was undone"):
        keys.add_keys(located, "bob", [("bob.asc", gwkeys.public_key("bob"))])
    assert not (cfg / "signers" / "keys" / f"{gwkeys.fingerprint('bob')}.asc").exists()
    with pytest.raises(SignerEditError, match="the change was undone"):
        keys.set_groups(located, "bob", ["releasers", "ops"])
    assert (cfg / "signers" / "bob.yaml").read_text() == before


def test_groups_are_replaced_deduplicated_or_dropped(cfg: Path) -> None:
    located = config.locate(cfg)
    assert keys.set_groups(located, "bob", [" releasers", "ops", "ops", ""]) == ("releasers",)
    assert "- ops" in (cfg / "signers" / "bob.yaml").read_text()
    keys.add_keys(located, "alice", [], [("k", gwkeys.ssh_public_key("carol"))])
    keys.set_groups(located, "alice", ["maintainers", "releasers"])
    assert keys.set_groups(located, "bob", []) == ("releasers", "ops")
    assert "groups" not in (cfg / "signers" / "bob.yaml").read_text()


def test_edits_need_valid_signer_files_and_settings(cfg: Path) -> None:
    (cfg / "signers" / "broken.yaml").write_text("id: [\n")
    with pytest.raises(SignerEditError, match="fix the signer files first"):
        keys.set_groups(config.locate(cfg), "bob", ["x"])
    (cfg / "policy.yaml").write_text("settings: {timeout_seconds: -1}\nrules: []\n")
    with pytest.raises(SignerEditError, match="fix the policy's settings first"):
        keys.add_keys(config.locate(cfg), "bob", [], [("k", "ssh-ed25519 AAAA")])


def test_an_edit_against_an_older_version_is_refused(cfg: Path) -> None:
    located = config.locate(cfg)
    seen = version.token((cfg / "signers" / "bob.yaml").read_text())
    version.check("bob", "any text", None)  # no token: no check (the CLI)
    keys.set_groups(located, "bob", ["releasers", "a"], expected_version=seen)
    for attempt in (
        lambda: keys.set_groups(located, "bob", ["releasers", "b"], expected_version=seen),
        lambda: edit.revoke(located, "bob", gwkeys.ssh_fingerprint("bob"), expected_version=seen),
        lambda: edit.remove(located, "bob", expected_version=seen),
    ):
        with pytest.raises(version.SignerChanged, match="changed by someone else"):
            attempt()
    assert "- a" in (cfg / "signers" / "bob.yaml").read_text()

"""A policy reached through a symbolic link resolves its relative paths (signers_dir,
audit_log) against the real file's directory: /etc/gitward/policy.yaml -> /srv/cfg/policy.yaml
finds /srv/cfg/signers, as the signer files travel with the policy they belong to."""

from __future__ import annotations

import json
import os
from pathlib import Path

import gwkeys
import pytest
from gwpush import Client, Signer, bare_repo, server_refs, write_config

from gitward import config
from gitward.cli import main

POLICY = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
"""


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """(/etc/gitward, /srv/cfg): the real configuration (signer bob) in srv/cfg, its policy
    linked (relatively) from etc/gitward, beside a decoy signers/ that names mallory."""
    real = write_config(tmp_path / "srv" / "cfg", POLICY, {"bob": Signer()}).parent
    etc = write_config(tmp_path / "etc" / "gitward", POLICY, {"mallory": Signer()}).parent
    (etc / "policy.yaml").unlink()
    (etc / "policy.yaml").symlink_to(os.path.relpath(real / "policy.yaml", etc))
    return etc, real


def test_load_reads_the_signers_beside_the_real_file(linked: tuple[Path, Path]) -> None:
    etc, real = linked
    loaded = config.load(etc)
    assert [s.id for s in loaded.signers.signers] == ["bob"]
    assert loaded.path == etc / "policy.yaml"  # messages name the path as given
    assert loaded.directory == real
    assert loaded.audit_log == real / "audit.jsonl"
    assert loaded.policy.settings.signers_dir == str(real / "signers")


def test_signer_edits_land_beside_the_real_file(linked: tuple[Path, Path]) -> None:
    etc, real = linked
    assert main(["signers", "remove", "mallory", "--config", str(etc)]) == 1  # not there
    before = sorted(p.name for p in (etc / "signers").iterdir())
    key = Path(__file__).resolve().parent / "keys" / "carol_rsa.pub"
    argv = ["signers", "add", "carol", "--name", "Carol", "--email", "carol@example.com"]
    assert main([*argv, "--ssh-key", str(key), "--config", str(etc)]) == 0
    assert (real / "signers" / "carol.yaml").is_file()
    assert sorted(p.name for p in (etc / "signers").iterdir()) == before
    (record,) = [json.loads(line) for line in (real / "audit.jsonl").read_text().splitlines()]
    assert (record["event"], record["signer"]) == ("signers.add", "carol")
    assert not (etc / "audit.jsonl").exists()


def test_the_hook_judges_with_the_real_files_signers(
    linked: tuple[Path, Path], tmp_path: Path, gnupghome: Path
) -> None:
    etc, real = linked
    server = bare_repo(tmp_path / "app.git", etc / "policy.yaml")
    client = Client(tmp_path / "work", gnupghome)
    bob = client.commit("by bob", sign=("openpgp", "bob"), who="bob")
    accepted = client.push(server, "HEAD:refs/heads/main")
    assert accepted.ok, accepted.text
    client.commit("by mallory", sign=("openpgp", "mallory"), who="mallory")
    refused = client.push(server, "HEAD:refs/heads/main")
    assert not refused.ok
    # mallory is a signer only in the decoy beside the link: her key is nobody's here.
    assert gwkeys.fingerprint("mallory")[:16] in refused.text, refused.text
    assert server_refs(server)["refs/heads/main"] == bob
    assert (real / "audit.jsonl").is_file() and not (etc / "audit.jsonl").exists()

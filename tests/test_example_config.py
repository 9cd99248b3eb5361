"""The documented example in config/ loads, validates against the schema and says what the
README promises: a careful GitOps team's set-up."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import gwkeys
import jsonschema
import yaml

from gitward import config
from gitward.config import policy_schema
from gitward.policy import spec

EXAMPLE = Path(__file__).resolve().parents[1] / "config"


def test_example_loads_cleanly() -> None:
    loaded = config.load(EXAMPLE, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert [r.id for r in loaded.policy.rules] == [
        "protect-branches", "release-tags", "conventional-commits",
    ]  # fmt: skip
    assert loaded.warnings == ()
    assert loaded.audit_log == EXAMPLE.absolute() / "audit.jsonl"


def test_example_validates_against_the_published_schema() -> None:
    doc = yaml.safe_load((EXAMPLE / "policy.yaml").read_text())
    validator = jsonschema.Draft202012Validator(
        policy_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(doc)] == []


def test_protected_branches() -> None:
    policy = config.load(EXAMPLE).policy
    for ref in ("refs/heads/main", "refs/heads/release/1.2"):
        # Ticket numbers there, not Conventional Commits: the warning rule excludes them.
        assert [r.id for r in policy.rules_for(ref)] == ["protect-branches"]
    rule = policy.rules[0]
    assert rule.mode == "enforce"
    assert rule.signatures == spec.SignatureRule(signers=("group:maintainers",))
    assert rule.protection is not None
    assert rule.protection.block_force_push and rule.protection.block_deletion
    assert rule.messages is not None and rule.messages.must_match is not None
    ticket = re.compile(rule.messages.must_match)
    assert ticket.search("JIRA-123: fix the gate") and ticket.search("FEATURE-7: add x")
    assert not ticket.search("fix: the gate") and not ticket.search("jira-1: lower case")
    assert rule.bypass == ("group:release-managers",)
    assert "release-managers" in policy.pusher_groups


def test_release_tags_are_signed_and_immutable() -> None:
    policy = config.load(EXAMPLE).policy
    (rule,) = policy.rules_for("refs/tags/v1.2.3")
    assert rule.id == "release-tags" and rule.mode == "enforce"
    assert rule.signatures is not None and rule.signatures.tags
    assert rule.signatures.signers == ("group:maintainers",)
    assert rule.protection is not None and rule.protection.immutable
    assert policy.rules_for("refs/tags/nightly") == ()


def test_everything_else_gets_a_conventional_commits_warning() -> None:
    policy = config.load(EXAMPLE).policy
    (rule,) = policy.rules_for("refs/heads/feature/login")
    assert rule.id == "conventional-commits" and rule.mode == "warn"
    assert rule.messages is not None and rule.messages.conventional_commits


def test_example_signers_are_the_public_throwaway_test_keys() -> None:
    loaded = config.load(EXAMPLE)
    members = loaded.signers.members(("group:maintainers",))
    assert members == {"alice", "bob"}
    facts = json.loads((gwkeys.KEYS_DIR / "fingerprints.json").read_text())
    for name in ("alice", "bob"):
        signer = loaded.signers.by_id(name)
        assert signer is not None
        assert [k.fingerprint for k in signer.openpgp_keys] == [facts[name]["openpgp"]]
        assert [k.fingerprint for k in signer.ssh_keys] == [facts[name]["ssh"]]
        text = (EXAMPLE / "signers" / f"{name}.yaml").read_text()
        assert text.startswith("# THROWAWAY TEST KEY: replace with your team's keys")
    for key_file in (EXAMPLE / "signers" / "keys").iterdir():
        data = key_file.read_text()
        assert data.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        assert "PRIVATE" not in data
    assert not list(EXAMPLE.rglob("*_ed25519")) and not list(EXAMPLE.rglob("*.sec.asc"))


def test_every_policy_key_is_explained_by_a_comment() -> None:
    lines = (EXAMPLE / "policy.yaml").read_text().splitlines()
    settings = set(yaml.safe_load("\n".join(lines))["settings"])
    for key in settings:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
        assert lines[at - 1].strip().startswith("#"), key

"""`policy_repository_rules`: validated like `rules` (same table, same cross-checks), and the
rules a policy judges its own repository by."""

from __future__ import annotations

from pathlib import Path

import pytest
from gwpush import Signer, write_config

from gitward.config import load
from gitward.errors import ConfigError
from gitward.policy.spec import Policy, Rule, SignatureRule

POLICY = """\
version: 1
pusher_groups:
  leads: [lead]
rules:
  - id: signed-main
    refs: [refs/heads/main]
    signatures: {signers: [group:maintainers]}
policy_repository_rules:
  - id: policy
    refs: [refs/heads/main]
    signatures: {signers: [group:admins], min_distinct_signers: 2}
    protection: {block_force_push: true, allowed_pushers: [group:leads]}
"""
PEOPLE = {"alice": Signer(("admins", "maintainers")), "bob": Signer(("admins",))}


def test_both_lists_load(tmp_path: Path) -> None:
    policy = load(write_config(tmp_path, POLICY, PEOPLE)).policy
    assert [r.id for r in policy.rules] == ["signed-main"]
    (own,) = policy.policy_repository_rules
    assert own.signatures == SignatureRule(("group:admins",), min_distinct_signers=2)
    assert policy.for_policy_repository().rules == (own,)


def test_without_them_the_ordinary_rules_judge_the_policy_repository_too() -> None:
    policy = Policy((Rule("r", ("refs/heads/main",)),))
    assert policy.for_policy_repository() == policy


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("id: policy", "id: signed-main"),
         "9: policy_repository_rules[0].id: expected a unique rule id, 'signed-main' is "
         "already used by rules[0]"),
        (("group:admins", "group:admin"),
         "11: policy_repository_rules[0].signatures.signers[0]: expected a signer group with "
         "members, got 'admin'"),
        (("min_distinct_signers: 2", "min_distinct_signers: 3"),
         "11: policy_repository_rules[0].signatures.min_distinct_signers: expected at most 2, "
         "the signers allowed (alice, bob), got 3"),
        (("group:leads", "group:chiefs"),
         "12: policy_repository_rules[0].protection.allowed_pushers[0]: expected a pusher group "
         "defined in pusher_groups, got 'chiefs'"),
        (("block_force_push: true", "block_force_push: yes please"),
         "12: policy_repository_rules[0].protection.block_force_push: expected true or false"),
    ],
)  # fmt: skip
def test_they_are_checked_like_rules(tmp_path: Path, change: tuple[str, str], problem: str) -> None:
    cfg = write_config(tmp_path, POLICY.replace(*change), PEOPLE)
    with pytest.raises(ConfigError) as info:
        load(cfg)
    first = info.value.problems[0]
    assert first.removeprefix(f"{cfg}:").startswith(problem)

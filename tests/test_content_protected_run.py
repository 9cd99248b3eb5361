"""The `protected_paths` content check through the engine, on literal facts: which paths count
as changes (first-parent paths of the rule's commits, kept when the update changes them and the
rule's `paths` select them), and incomplete facts fail closed."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

import pytest

from gitward.errors import GitError
from gitward.model import Commit, Person, Push, Pusher, RefFacts, RefUpdate, SigKind
from gitward.model import SignatureCheck as Sig
from gitward.policy.content import needs
from gitward.policy.engine import evaluate
from gitward.policy.spec import (
    ContentRule,
    OpenPGPKey,
    Policy,
    ProtectedPaths,
    Rule,
    Signer,
    Signers,
)

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, A, B = "0" * 39 + "1", "a" * 40, "b" * 40
FP = "A" * 40
ALICE = Signers((Signer("alice", "Alice", ("a@example.com",), ("ops",), (OpenPGPKey(FP),)),))
WHO = Person("Alice", "a@example.com")
PROTECTED = ProtectedPaths(("clusters/prod/**",), ("group:ops",), 2)


def policy(paths: tuple[str, ...] | None = None) -> Policy:
    content = ContentRule(paths=paths, protected_paths=PROTECTED)
    return Policy((Rule("prod", ("refs/heads/main",), content=content),))


def push(
    changed: dict[str, tuple[str, ...]] | None,
    update_paths: frozenset[str] | None,
    old: str = OLD,
) -> Push:
    """alice's commits A then B on main (from `old`); `changed`: each one's first-parent paths
    as the facts give them (None: not read); `update_paths`: the update's (None: not read)."""
    signed = Sig(SigKind.OPENPGP, True, FP, FP, RECEIVED)
    commits = {A: Commit(A, (OLD,), WHO, WHO, "a\n", signed)}
    commits[B] = Commit(B, (A,), WHO, WHO, "b\n", signed)
    facts = RefFacts(RefUpdate(old, B, "refs/heads/main"), True, {"prod": (B, A)})
    facts = facts._replace(changed_paths=update_paths)
    found = MappingProxyType(changed) if changed is not None else MappingProxyType({})
    return Push("r", Pusher("alice", "local"), RECEIVED, (facts,), commits,
                changes={A: (), B: ()}, paths_changed=found)  # fmt: skip


def rule_ids(p: Policy, facts: Push) -> list[str]:
    return [v.rule_id for v in evaluate(p, ALICE, facts).violations]


def test_it_asks_the_facts_for_paths_and_nothing_else() -> None:
    asked = needs(ContentRule(protected_paths=PROTECTED))
    assert asked.paths_changed and not (asked.content_bytes or asked.tip_tree or asked.yaml)


def test_a_protected_path_the_update_changes_needs_two_signers() -> None:
    facts = push({A: ("clusters/prod/x.yaml",), B: ()}, frozenset({"clusters/prod/x.yaml"}))
    assert rule_ids(policy(), facts) == ["prod/two-person"]


def test_a_path_the_update_leaves_as_it_was_is_no_change() -> None:
    # A changes it and B changes it back (or a sync merge repeats it): the ref sees nothing.
    facts = push({A: ("clusters/prod/x.yaml",), B: ("clusters/prod/x.yaml",)}, frozenset())
    assert rule_ids(policy(), facts) == []


def test_on_a_creation_every_path_of_the_rules_commits_counts() -> None:
    facts = push({A: ("clusters/prod/x.yaml",), B: ()}, None, old="0" * 40)
    assert rule_ids(policy(), facts) == ["prod/two-person"]


def test_the_rules_paths_select_too() -> None:
    facts = push({A: ("clusters/prod/x.yaml",), B: ()}, frozenset({"clusters/prod/x.yaml"}))
    assert rule_ids(policy(("**", "!clusters/prod/")), facts) == []


@pytest.mark.parametrize(
    ("changed", "update_paths"),
    [
        ({A: ("clusters/prod/x.yaml",)}, frozenset({"clusters/prod/x.yaml"})),  # B not read
        ({A: ("clusters/prod/x.yaml",), B: ()}, None),  # the update's paths not read
    ],
)
def test_incomplete_facts_fail_closed(
    changed: dict[str, tuple[str, ...]], update_paths: frozenset[str] | None
) -> None:
    with pytest.raises(GitError, match="not read"):
        evaluate(policy(), ALICE, push(changed, update_paths))

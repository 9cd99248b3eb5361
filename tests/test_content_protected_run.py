"""The `protected_paths` content check through the engine, on literal facts: which paths count
as changes (first-parent paths of the rule's commits, kept when the update changes them and the
rule's `paths` select them), whose signatures count (those that bring the version the ref ends
up with), and incomplete facts fail closed."""

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
X, V1, V2 = "clusters/prod/x.yaml", "1" * 40, "2" * 40  # a protected path, two of its blobs
FP = {"alice": "A" * 40, "bob": "B" * 40}
WHO = Person("Someone", "someone@example.com")
SIGNERS = Signers(
    tuple(Signer(n, n, (f"{n}@example.com",), ("ops",), (OpenPGPKey(f),)) for n, f in FP.items())
)
PROTECTED = ProtectedPaths(("clusters/prod/**",), ("group:ops",), 2)
Paths = dict[str, str]


def policy(paths: tuple[str, ...] | None = None) -> Policy:
    content = ContentRule(paths=paths, protected_paths=PROTECTED)
    return Policy((Rule("prod", ("refs/heads/main",), content=content),))


def push(
    changed: dict[str, Paths] | None,
    update_paths: Paths | None,
    *,
    old: str = OLD,
    by: tuple[str, str] = ("alice", "alice"),
    b_merges_a: bool = False,
) -> Push:
    """Commits A then B on main (from `old`), signed `by`; B merges A into `old` when told.
    `changed`: each commit's first-parent paths -> blobs as the facts give them (None: not
    read); `update_paths`: the update's (None: not read)."""

    def signed(name: str) -> Sig:
        return Sig(SigKind.OPENPGP, True, FP[name], FP[name], RECEIVED)

    commits = {A: Commit(A, (OLD,), WHO, WHO, "a\n", signed(by[0]))}
    commits[B] = Commit(B, (OLD, A) if b_merges_a else (A,), WHO, WHO, "b\n", signed(by[1]))
    facts = RefFacts(RefUpdate(old, B, "refs/heads/main"), True, {"prod": (B, A)})
    facts = facts._replace(changed_paths=update_paths)
    found = MappingProxyType(changed) if changed is not None else MappingProxyType({})
    return Push("r", Pusher("alice", "local"), RECEIVED, (facts,), commits,
                changes={A: (), B: ()}, paths_changed=found)  # fmt: skip


def found(p: Policy, facts: Push) -> list[tuple[str, str]]:
    return [(v.rule_id, v.message) for v in evaluate(p, SIGNERS, facts).violations]


def test_it_asks_the_facts_for_paths_and_nothing_else() -> None:
    asked = needs(ContentRule(protected_paths=PROTECTED))
    assert asked.paths_changed and not (asked.content_bytes or asked.tip_tree or asked.yaml)


def test_a_protected_path_the_update_changes_needs_two_signers() -> None:
    [(rule_id, _)] = found(policy(), push({A: {X: V1}, B: {}}, {X: V1}))
    assert rule_id == "prod/two-person"


def test_the_authors_commit_and_a_second_signers_merge_of_it_pass() -> None:
    facts = push({A: {X: V1}, B: {X: V1}}, {X: V1}, by=("alice", "bob"), b_merges_a=True)
    assert found(policy(), facts) == []


def test_a_signature_on_a_version_the_ref_does_not_get_does_not_count() -> None:
    # bob signed V1; alice (or whoever holds her key) overwrote it with V2 on top.
    facts = push({A: {X: V1}, B: {X: V2}}, {X: V2}, by=("bob", "alice"))
    [(rule_id, message)] = found(policy(), facts)
    assert rule_id == "prod/two-person"
    assert message.startswith(f"{X}: signed by alice ({B[:10]}) only;")


def test_a_deletion_is_a_version_too() -> None:
    facts = push({A: {X: ""}, B: {X: ""}}, {X: ""}, by=("alice", "bob"), b_merges_a=True)
    assert found(policy(), facts) == []
    assert [r for r, _ in found(policy(), push({A: {X: ""}, B: {}}, {X: ""}))] == [
        "prod/two-person"
    ]


def test_a_path_the_update_leaves_as_it_was_is_no_change() -> None:
    # A changes it and B changes it back (or a sync merge repeats it): the ref sees nothing.
    assert found(policy(), push({A: {X: V1}, B: {X: V2}}, {})) == []


def test_on_a_creation_the_tips_files_are_the_change() -> None:
    facts = push({A: {X: V1}, B: {}}, {X: V1, "README": V2}, old="0" * 40)
    assert [r for r, _ in found(policy(), facts)] == ["prod/two-person"]


def test_the_rules_paths_select_too() -> None:
    facts = push({A: {X: V1}, B: {}}, {X: V1})
    assert found(policy(("**", "!clusters/prod/")), facts) == []


@pytest.mark.parametrize(
    ("changed", "update_paths"),
    [
        ({A: {X: V1}}, {X: V1}),  # B's paths not read
        ({A: {X: V1}, B: {}}, None),  # the update's paths not read
    ],
)
def test_incomplete_facts_fail_closed(
    changed: dict[str, Paths], update_paths: Paths | None
) -> None:
    with pytest.raises(GitError, match="not read"):
        evaluate(policy(), SIGNERS, push(changed, update_paths))

"""The protection family of the policy engine: how a ref may change and who may change it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitward.model import Commit, Person, Push, Pusher, RefFacts, RefUpdate, SignatureCheck
from gitward.policy.engine import evaluate
from gitward.policy.spec import Policy, RefProtection, Rule, RuleMode, Settings, Signers

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, NEW, ZERO = "a" * 40, "b" * 40, "0" * 40
WHO = Person("A", "a@example.com")
GROUPS = {"release-managers": ("alice", "bob"), "empty": ()}


def update(kind: str, ref: str = "refs/heads/main") -> RefFacts:
    """`kind`: ff (fast-forward), force, create or delete."""
    old = ZERO if kind == "create" else OLD
    new = ZERO if kind == "delete" else NEW
    fast_forward = {"ff": True, "force": False}.get(kind)
    return RefFacts(
        RefUpdate(old, new, ref), fast_forward, {}, None, "" if kind == "delete" else "commit"
    )


def judge(
    protection: RefProtection,
    facts: RefFacts,
    pusher: str | None = "alice",
    commits: tuple[Commit, ...] = (),
) -> list[tuple[str, str]]:
    facts = RefFacts(
        facts.update,
        facts.fast_forward,
        {"p": tuple(c.oid for c in commits)},
        facts.tag,
        facts.new_type,
    )
    push = Push("r.git", Pusher(pusher, "gitea"), RECEIVED, (facts,), {c.oid: c for c in commits})
    rule = Rule("p", ("refs/heads/**", "refs/tags/**"), protection=protection)
    policy = Policy((rule,), pusher_groups=GROUPS)
    return [(v.rule_id, v.mode) for v in evaluate(policy, Signers(), push).violations]


def ids(*checks: str) -> list[tuple[str, str]]:
    return [(c if "/" in c else f"p/{c}", "enforce") for c in checks]


FORCE = RefProtection(block_force_push=True)
DELETE = RefProtection(block_deletion=True)
CREATE = RefProtection(block_creation=True)
IMMUTABLE = RefProtection(immutable=True)
NAMES = RefProtection(name_pattern=r"(main|release/[0-9]+\.[0-9]+)")


@pytest.mark.parametrize(
    ("protection", "facts", "expected"),
    [
        (FORCE, update("ff"), []),
        (FORCE, update("force"), ids("force-push")),
        (FORCE, update("create"), []),
        (FORCE, update("delete"), []),
        (RefProtection(), update("force"), []),
        (DELETE, update("delete"), ids("deletion")),
        (DELETE, update("force"), []),
        (CREATE, update("create"), ids("creation")),
        (CREATE, update("ff"), []),
        (IMMUTABLE, update("create", "refs/tags/v1"), []),
        (IMMUTABLE, update("ff", "refs/tags/v1"), ids("immutable")),
        (IMMUTABLE, update("force", "refs/tags/v1"), ids("immutable")),
        (IMMUTABLE, update("delete", "refs/tags/v1"), ids("immutable")),
        (NAMES, update("create", "refs/heads/release/1.2"), []),
        (NAMES, update("create", "refs/heads/release/1.2.3"), ids("ref-name")),  # fullmatch
        (NAMES, update("create", "refs/heads/feature/x"), ids("ref-name")),
        (NAMES, update("ff", "refs/heads/feature/x"), []),  # existing refs keep their names
        (RefProtection(name_pattern=r"v[0-9]+"), update("create", "refs/tags/v12"), []),
        (
            RefProtection(name_pattern=r"v[0-9]+"),
            update("create", "refs/tags/x12"),
            ids("ref-name"),
        ),
        (
            RefProtection(block_force_push=True, block_deletion=True, immutable=True),
            update("delete", "refs/tags/v1"),
            ids("deletion", "immutable"),
        ),
    ],
)
def test_update_checks(
    protection: RefProtection, facts: RefFacts, expected: list[tuple[str, str]]
) -> None:
    assert judge(protection, facts) == expected


@pytest.mark.parametrize(
    ("allowed", "pusher", "expected"),
    [
        (None, "anyone", []),
        (None, None, []),  # no restriction: the forge decides
        (("ci-bot",), "ci-bot", []),
        (("group:release-managers",), "bob", []),
        (("group:release-managers", "ci-bot"), "mallory", ids("pusher")),
        (("Alice",), "alice", ids("pusher")),  # names compare exactly
        ((), "alice", ids("pusher")),  # an empty list: nobody
        (("group:empty",), "alice", ids("pusher")),
        (("group:no-such-group",), "alice", ids("pusher")),
        (("group:release-managers",), None, ids("anonymous-pusher")),
        (("group:release-managers",), "", ids("anonymous-pusher")),
    ],
)
def test_allowed_pushers(
    allowed: tuple[str, ...] | None, pusher: str | None, expected: list[tuple[str, str]]
) -> None:
    assert judge(RefProtection(allowed_pushers=allowed), update("ff"), pusher) == expected


def test_anonymous_pusher_is_told_identity_is_unknown() -> None:
    facts = update("ff")
    push = Push("r.git", Pusher(None, "ssh"), RECEIVED, (facts,), {})
    rule = Rule("p", ("refs/heads/main",), protection=RefProtection(allowed_pushers=("alice",)))
    (found,) = evaluate(Policy((rule,)), Signers(), push).violations
    assert found.rule_id == "p/anonymous-pusher"
    assert "identity unknown" in found.message


@pytest.mark.parametrize(("mode", "blocks"), [("enforce", True), ("warn", False)])
def test_anonymous_pusher_check_is_the_rules_and_takes_its_mode(
    mode: RuleMode, blocks: bool
) -> None:
    """The check exists only because the rule lists `allowed_pushers`: a rule being tried in
    warn mode reports an anonymous push but does not block it (nor names it builtin/...)."""
    facts = RefFacts(RefUpdate(OLD, NEW, "refs/heads/main"), True, {})
    push = Push("r.git", Pusher(None, "git-daemon"), RECEIVED, (facts,), {})
    only_alice = RefProtection(allowed_pushers=("alice",))
    rule = Rule("try-pushers", ("refs/heads/main",), mode=mode, protection=only_alice)
    verdict = evaluate(Policy((rule,)), Signers(), push)
    assert [(v.rule_id, v.mode) for v in verdict.violations] == [
        ("try-pushers/anonymous-pusher", mode)
    ]
    assert verdict.allowed is not blocks


def commit(oid: str, parents: int) -> Commit:
    ids_ = tuple(str(i) * 40 for i in range(1, parents + 1))
    return Commit(oid, ids_, WHO, WHO, "x\n", SignatureCheck.unsigned())


@pytest.mark.parametrize(
    ("parents", "expected"),
    [
        ((1, 1), []),
        ((0, 1), []),
        ((1, 2), ids("linear-history")),
        ((2, 3), ids("linear-history", "linear-history")),
    ],
)
def test_linear_history(parents: tuple[int, ...], expected: list[tuple[str, str]]) -> None:
    commits = tuple(commit(f"{i + 5}" * 40, n) for i, n in enumerate(parents))
    found = judge(RefProtection(linear_history=True), update("ff"), commits=commits)
    assert found == expected


@pytest.mark.parametrize(
    ("deny", "kind", "expected"),
    [
        (True, "create", [("builtin/replace-refs", "enforce")]),
        (True, "ff", [("builtin/replace-refs", "enforce")]),
        (True, "delete", [("builtin/replace-refs", "enforce")]),
        (False, "create", []),
    ],
)
def test_replace_refs(deny: bool, kind: str, expected: list[tuple[str, str]]) -> None:
    facts = update(kind, "refs/replace/" + "c" * 40)
    push = Push("r.git", Pusher("alice", "ssh"), RECEIVED, (facts,), {}, ("gitward.reason=x",))
    # Not even a warn rule or a bypass touches the built-in check.
    rule = Rule(
        "all",
        ("refs/**",),
        mode="warn",
        bypass=("alice",),
        protection=RefProtection(block_creation=True),
    )
    policy = Policy((rule,), Settings(deny_replace_refs=deny))
    found = [(v.rule_id, v.mode) for v in evaluate(policy, Signers(), push).violations]
    assert [f for f in found if f[0].startswith("builtin/")] == expected

"""The engine as a whole: rule matching, modes, bypass, ordering, fail-closed facts, purity."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from gitward.errors import GitError
from gitward.model import Bypass, Commit, Person, Push, Pusher, RefFacts, RefUpdate, SignatureCheck
from gitward.policy.engine import evaluate
from gitward.policy.spec import (
    MessageRule,
    Policy,
    RefProtection,
    Rule,
    SignatureRule,
    Signers,
)

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, ZERO = "a" * 40, "0" * 40
C1, C2 = "1" * 40, "2" * 40
WHO = Person("A", "a@example.com")
GROUPS: dict[str, tuple[str, ...]] = {"release-managers": ("rm",)}

SIGNED = Rule(
    "signed",
    ("refs/heads/main",),
    signatures=SignatureRule(("group:maintainers",)),
    bypass=("admin", "group:release-managers"),
    protection=RefProtection(block_force_push=True),
)
TICKET = Rule(
    "ticket", ("refs/heads/main", "refs/heads/release/*"), messages=MessageRule(must_match="^JIRA-")
)
CONV_WARN = Rule(
    "conv",
    ("refs/heads/**",),
    mode="warn",
    messages=MessageRule(conventional_commits=True),
    bypass=("admin",),
)
POLICY = Policy((SIGNED, TICKET, CONV_WARN), pusher_groups=GROUPS)


def commit(oid: str, message: str = "JIRA-1: x\n") -> Commit:
    return Commit(oid, (OLD,), WHO, WHO, message, SignatureCheck.unsigned())


def facts(ref: str, *oids: str, ff: bool | None = True, rules: tuple[str, ...] = ()) -> RefFacts:
    new = oids[-1] if oids else "b" * 40
    by_rule = dict.fromkeys(rules or ("signed", "ticket", "conv"), oids)
    return RefFacts(RefUpdate(OLD, new, ref), ff, by_rule)


def push(
    *refs: RefFacts,
    pusher: str | None = "dev",
    options: tuple[str, ...] = (),
    commits: tuple[Commit, ...] = (commit(C1), commit(C2)),
) -> Push:
    return Push(
        "r.git", Pusher(pusher, "gitea"), RECEIVED, refs, {c.oid: c for c in commits}, options
    )


def found(p: Push) -> list[tuple[str, str]]:
    return [(v.rule_id, v.mode) for v in evaluate(POLICY, Signers(), p).violations]


def test_every_matching_rule_runs_and_warn_never_blocks() -> None:
    verdict = evaluate(POLICY, Signers(), push(facts("refs/heads/main", C1)))
    assert [(v.rule_id, v.mode) for v in verdict.violations] == [
        ("signed/signature", "enforce"),
        ("conv/conventional-commits", "warn"),
    ]
    assert not verdict.allowed
    warn_only = evaluate(POLICY, Signers(), push(facts("refs/heads/topic", C1)))
    assert [(v.rule_id, v.mode) for v in warn_only.violations] == [
        ("conv/conventional-commits", "warn")
    ]
    assert warn_only.allowed and len(warn_only.warnings) == 1


def test_unmatched_refs_are_not_judged() -> None:
    assert found(push(facts("refs/notes/commits", C1))) == []


def test_order_is_ref_then_rule_then_update_then_commit() -> None:
    bad = (commit(C1, "no ticket\n"), commit(C2))
    p = push(
        facts("refs/heads/release/1", C1, C2),
        facts("refs/heads/main", C1, C2, ff=False),
        commits=bad,
    )
    verdict = evaluate(POLICY, Signers(), p)
    assert [(v.ref, v.rule_id, v.oid) for v in verdict.violations] == [
        ("refs/heads/release/1", "ticket/message-pattern", C1),
        ("refs/heads/release/1", "conv/conventional-commits", C1),
        ("refs/heads/release/1", "conv/conventional-commits", C2),
        ("refs/heads/main", "signed/force-push", None),
        ("refs/heads/main", "signed/signature", C1),
        ("refs/heads/main", "signed/signature", C2),
        ("refs/heads/main", "ticket/message-pattern", C1),
        ("refs/heads/main", "conv/conventional-commits", C1),
        ("refs/heads/main", "conv/conventional-commits", C2),
    ]


def test_each_rule_checks_its_own_commits() -> None:
    by_rule = {"signed": (C2,), "ticket": (C1, C2), "conv": ()}
    f = RefFacts(RefUpdate(OLD, C2, "refs/heads/main"), True, by_rule)
    p = push(f, commits=(commit(C1, "no ticket\n"), commit(C2, "feat: no ticket\n")))
    verdict = evaluate(POLICY, Signers(), p)
    assert [(v.rule_id, v.oid) for v in verdict.violations] == [
        ("signed/signature", C2),
        ("ticket/message-pattern", C1),
        ("ticket/message-pattern", C2),
    ]


def test_a_listed_commit_missing_from_the_facts_refuses_by_raising() -> None:
    with pytest.raises(GitError, match="was not read"):
        evaluate(POLICY, Signers(), push(facts("refs/heads/main", "9" * 40)))


SIG_FORCE = [("signed/force-push", "enforce"), ("signed/signature", "enforce")]
BYPASSED = [("signed/force-push", "bypassed"), ("signed/signature", "bypassed")]
WARN = [("conv/conventional-commits", "warn")]


@pytest.mark.parametrize(
    ("pusher", "options", "expected", "bypass"),
    [
        ("dev", ("gitward.reason=hotfix",), SIG_FORCE, None),  # not listed
        ("admin", (), SIG_FORCE, None),  # listed but no reason
        ("admin", ("gitward.reason=",), SIG_FORCE, None),
        ("admin", ("gitward.reason=   ",), SIG_FORCE, None),
        (
            "admin",
            ("gitward.reason=INC-7 outage",),
            BYPASSED,
            Bypass("signed", "refs/heads/main", "admin", "INC-7 outage"),
        ),
        (
            "rm",
            ("gitward.reason=release",),
            BYPASSED,
            Bypass("signed", "refs/heads/main", "rm", "release"),
        ),
        (
            "admin",
            ("gitward.reason=a", "gitward.reason=b"),
            BYPASSED,
            Bypass("signed", "refs/heads/main", "admin", "b"),
        ),
        ("group:release-managers", ("gitward.reason=x",), SIG_FORCE, None),
        (None, ("gitward.reason=x",), SIG_FORCE, None),  # anonymous: never
        ("", ("gitward.reason=x",), SIG_FORCE, None),
    ],
)
def test_bypass(
    pusher: str | None,
    options: tuple[str, ...],
    expected: list[tuple[str, str]],
    bypass: Bypass | None,
) -> None:
    p = push(facts("refs/heads/main", C1, ff=False), pusher=pusher, options=options)
    verdict = evaluate(POLICY, Signers(), p)
    # The warn rule lists admin too: warnings stay warnings and record no bypass.
    assert [(v.rule_id, v.mode) for v in verdict.violations] == [*expected, *WARN]
    assert verdict.bypasses == ((bypass,) if bypass else ())
    assert verdict.allowed == (bypass is not None)


def test_listed_actor_without_reason_is_told_how_to_bypass() -> None:
    for pusher, told in (("admin", True), ("dev", False)):
        verdict = evaluate(POLICY, Signers(), push(facts("refs/heads/main", C1), pusher=pusher))
        hint = verdict.violations[0].hint
        assert ('push again with `-o gitward.reason="..."` added' in hint) is told
        assert "git commit --amend --no-edit -S" in hint


def test_bypass_is_recorded_per_rule_and_ref_only_when_something_was_bypassed() -> None:
    signed = SIGNED._replace(refs=("refs/heads/main", "refs/heads/next"))
    p = push(
        facts("refs/heads/main", C1, rules=("signed",)),
        facts("refs/heads/next", rules=("signed",)),
        pusher="admin",
        options=("gitward.reason=why",),
    )
    verdict = evaluate(Policy((signed,)), Signers(), p)
    assert verdict.bypasses == (Bypass("signed", "refs/heads/main", "admin", "why"),)
    assert verdict.allowed


def delete_then_recreate(ref: str) -> tuple[RefFacts, RefFacts]:
    """What receive-pack hands pre-receive for one push that deletes `ref` (at C2) and creates
    it again at an older commit: each line alone is a deletion and a creation, together a
    force push."""
    gone = RefFacts(RefUpdate(C2, ZERO, ref), None, {}, new_type="")
    back = RefFacts(RefUpdate(ZERO, C1, ref), None, {})
    return gone, back


SAME_REF = [("builtin/same-ref-twice", "enforce")]


@pytest.mark.parametrize(
    ("ref", "pusher", "options"),
    [
        ("refs/heads/main", "dev", ()),  # block_force_push alone sees no force push
        ("refs/heads/main", "admin", ("gitward.reason=INC-1",)),  # never bypassable
        ("refs/heads/topic", "dev", ()),  # only a warn rule matches: still enforced
        ("refs/notes/commits", "dev", ()),  # no rule matches at all
    ],
)
def test_a_ref_named_twice_in_one_push_is_refused_once(
    ref: str, pusher: str, options: tuple[str, ...]
) -> None:
    p = push(*delete_then_recreate(ref), pusher=pusher, options=options)
    verdict = evaluate(POLICY, Signers(), p)
    assert [(v.rule_id, v.mode) for v in verdict.violations] == SAME_REF
    assert not verdict.allowed
    same = verdict.violations[0]
    assert same.ref == ref and f"{ref} is updated 2 times" in same.message
    assert "push the ref once" in same.hint


def test_only_the_repeated_ref_is_reported_in_push_order() -> None:
    gone, back = delete_then_recreate("refs/heads/x")
    other = RefFacts(RefUpdate(OLD, C1, "refs/heads/y"), True, {})
    p = push(other, gone, other._replace(update=RefUpdate(OLD, C1, "refs/heads/z")), back, gone)
    verdict = evaluate(Policy(()), Signers(), p)
    assert [(v.rule_id, v.ref) for v in verdict.violations] == [
        ("builtin/same-ref-twice", "refs/heads/x")
    ]
    assert "updated 3 times" in verdict.violations[0].message


FORBIDDEN = ("subprocess", "gnupg", "git", "yaml", "pysequoia", "flask", "requests", "ruamel")


def test_engine_imports_nothing_with_side_effects() -> None:
    code = (
        "import sys, gitward.policy.engine\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


ALLOWED_IMPORTS = {
    "__future__",
    "collections.abc",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "re",
    "re2",  # policy patterns run on pusher text in RE2 (linear time); pure, imported lazily
    "shlex",  # quotes names in fix-it commands; pure and cheap (re is loaded anyway)
    "types",
    "typing",
    "gitward.model",
    "gitward.errors",
    "gitward.policy",
}


def test_policy_package_source_stays_pure() -> None:
    """No module under gitward/policy imports I/O modules, calls open() or reads os.environ."""
    import ast
    from pathlib import Path

    import gitward.policy

    package = Path(gitward.policy.__file__).parent
    problems = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                if name not in ALLOWED_IMPORTS and not name.startswith("gitward.policy."):
                    problems.append(f"{path.name}: import {name}")
            if isinstance(node, ast.Name) and node.id in {"open", "exec", "eval", "__import__"}:
                problems.append(f"{path.name}: {node.id}")
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
                problems.append(f"{path.name}: .{node.attr}")
    assert problems == []


@pytest.mark.parametrize("pusher", [None, ""])
def test_anonymous_never_bypasses_even_a_list_naming_the_empty_name(pusher: str | None) -> None:
    rule = Rule(
        "r",
        ("refs/heads/main",),
        bypass=("", "group:blank"),
        protection=RefProtection(block_force_push=True),
    )
    policy = Policy((rule,), pusher_groups={"blank": ("",)})
    p = push(
        facts("refs/heads/main", C1, ff=False, rules=("r",)),
        pusher=pusher,
        options=("gitward.reason=x",),
    )
    verdict = evaluate(policy, Signers(), p)
    assert [(v.rule_id, v.mode) for v in verdict.violations] == [("r/force-push", "enforce")]
    assert verdict.bypasses == ()


def test_exclude_refs_leave_refs_out_of_a_broad_rule() -> None:
    broad = Rule(
        "conventional",
        ("refs/heads/**",),
        mode="warn",
        messages=MessageRule(conventional_commits=True),
        exclude_refs=("refs/heads/main", "refs/heads/release/*"),
    )
    policy = Policy((broad,))
    assert policy.rules_for("refs/heads/feature/x") == (broad,)
    assert policy.rules_for("refs/heads/release/1.0/fix") == (broad,)  # `*`: one component
    assert policy.rules_for("refs/heads/main") == ()
    assert policy.rules_for("refs/heads/release/1.0") == ()

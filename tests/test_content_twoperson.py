"""Protected paths and the two-person rule, on literal commits: who signed the commits that
bring a change, how many distinct allowed signers that makes, and what the pusher is told."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward.errors import GitError
from gitward.model import Commit, Person, Push, Pusher, RefFacts, RefUpdate, SigKind
from gitward.model import SignatureCheck as Sig
from gitward.policy.content.twoperson import Change, bringers, changes, check
from gitward.policy.context import RuleContext
from gitward.policy.spec import (
    KeyValidity,
    OpenPGPKey,
    Policy,
    ProtectedPaths,
    Rule,
    Signer,
    Signers,
    SSHKey,
)

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD = "0123456789" * 4  # main before the push
FP = {n: n[0].upper() * 40 for n in ("alice", "bob", "carol", "dave", "erin")}
ALICE_SSH = "SHA256:alicealicealicealicealicealicealicealice00"


def signer(name: str, groups: tuple[str, ...] = ("maintainers",), **key: object) -> Signer:
    gpg = OpenPGPKey(FP[name], **key)  # type: ignore[arg-type]
    ssh = (SSHKey(ALICE_SSH, "ssh-ed25519 AAAA alice"),) if name == "alice" else ()
    return Signer(name, name.title(), (f"{name}@example.com",), groups, (gpg,), ssh)


SIGNERS = Signers(
    (
        signer("alice"),
        signer("bob"),
        signer("carol"),
        signer("dave", groups=("developers",)),
        signer("erin", validity=KeyValidity(revoked_since=datetime(2026, 2, 1, tzinfo=UTC))),
    )
)
PROD = ProtectedPaths(("clusters/prod/**", "**/networkpolicy*.yaml"), ("group:maintainers",), 2)
RULE = Rule("prod-paths", ("refs/heads/main",))


def by(name: str | None) -> Sig:
    if name is None:
        return Sig.unsigned()
    if name == "alice-ssh":
        return Sig(SigKind.SSH, True, ALICE_SSH, ALICE_SSH, RECEIVED)
    return Sig(SigKind.OPENPGP, True, FP[name], FP[name], RECEIVED)


def commit(oid: str, signed_by: str | None, *parents: str, subject: str = "change") -> Commit:
    who = Person("Someone", "someone@example.com")
    return Commit(oid, parents or (OLD,), who, who, f"{subject}\n", by(signed_by))


def oid(n: int) -> str:
    return f"{n:040x}"


A, B, M, M2 = oid(0xA), oid(0xB), oid(0x1), oid(0x2)


def context(*commits: Commit, tip: str | None = None) -> RuleContext:
    new = tip or commits[-1].oid
    facts = RefFacts(RefUpdate(OLD, new, "refs/heads/main"), True)
    push = Push("r.git", Pusher("alice", "gitea"), RECEIVED, (facts,), {c.oid: c for c in commits})
    return RuleContext(Policy((RULE,)), SIGNERS, push, facts, RULE)


def judge(
    *commits: Commit, touching: tuple[str, ...] = (A,), rule: ProtectedPaths = PROD
) -> list[tuple[str, str | None, str]]:
    """(check, commit, message) of each violation for a push of `commits` (oldest first) that
    changes clusters/prod/app.yaml in `touching`."""
    ctx = context(*commits)
    pushed = {c.oid: c for c in commits}
    found = changes(rule, pushed, {"clusters/prod/app.yaml": touching, "README.md": touching})
    return [(v.rule_id, v.oid, v.message) for v in check(ctx, rule, found)]


def test_the_authors_signed_commit_and_a_second_members_signed_merge_pass() -> None:
    assert judge(commit(A, "alice"), commit(M, "bob", OLD, A)) == []


def test_one_signer_alone_is_refused_saying_what_is_missing_and_how_to_add_it() -> None:
    ctx = context(commit(A, "alice"))
    found = changes(PROD, ctx.push.commits, {"clusters/prod/app.yaml": (A,)})
    [violation] = check(ctx, PROD, found)
    assert violation.rule_id == "prod-paths/two-person"
    assert violation.message == (
        f"clusters/prod/app.yaml: signed by alice ({A[:10]}) only; needs 1 more distinct "
        "allowed signer (2 of group:maintainers)"
    )
    assert violation.hint == (
        # erin's only key is revoked: she cannot sign it.
        "ask another allowed signer (bob, carol) to bring it with a signed "
        "merge commit: push your work to a branch this rule does not protect; they fetch it "
        f"and, on an up-to-date main, run `git merge --no-ff -S {A[:12]}`, then push main"
    )


@pytest.mark.parametrize(
    "merger",
    [
        "alice",  # the same key twice: a stolen key is one signer
        "alice-ssh",  # another key of the same signer is still one signer
    ],
)
def test_one_signer_with_any_number_of_commits_or_keys_is_one(merger: str) -> None:
    [(check_id, _, message)] = judge(commit(A, "alice"), commit(M, merger, OLD, A))
    assert check_id == "prod-paths/two-person"
    assert f"signed by alice ({A[:10]}) only;" in message


def test_each_bringing_commit_must_be_signed_by_an_allowed_signer() -> None:
    found = judge(commit(A, None, subject="edit prod"), commit(M, "bob", OLD, A))
    assert found == [
        (
            "prod-paths/path-signature",
            A,
            'brings protected clusters/prod/app.yaml, but is not signed ("edit prod")',
        ),
        (
            "prod-paths/two-person",
            M,
            f"clusters/prod/app.yaml: signed by bob ({M[:10]}) only; needs 1 more distinct "
            "allowed signer (2 of group:maintainers)",
        ),
    ]


@pytest.mark.parametrize(
    ("author", "why"),
    [
        ("dave", "signed by key DDDDDDDDDDDDDDDD… (dave) which is not allowed to sign for "),
        ("erin", "key EEEEEEEEEEEEEEEE… (erin) is revoked since 2026-02-01"),
    ],
)
def test_a_signature_that_does_not_count_is_named(author: str, why: str) -> None:
    [unsigned, short] = judge(commit(A, author), commit(M, "bob", OLD, A))
    assert unsigned[:2] == ("prod-paths/path-signature", A)
    assert why in unsigned[2]
    assert short[0] == "prod-paths/two-person"


def test_with_one_signer_required_an_unsigned_commit_is_told_once() -> None:
    one = PROD._replace(min_signers=1)
    assert [v[0] for v in judge(commit(A, None), rule=one)] == ["prod-paths/path-signature"]
    assert judge(commit(A, "carol"), rule=one) == []


def test_a_commit_that_does_not_bring_the_change_does_not_count() -> None:
    # bob's own commit on top of alice's: not a review of hers.
    assert [v[0] for v in judge(commit(A, "alice"), commit(B, "bob", A))] == [
        "prod-paths/two-person"
    ]
    # A merge whose first parent holds the change merges something else.
    assert [v[0] for v in judge(commit(A, "alice"), commit(M, "bob", A, B), commit(B, "bob"))] == [
        "prod-paths/two-person"
    ]


def test_nested_merges_all_bring_the_change() -> None:
    pushed = [
        commit(A, "alice"),
        commit(M, "carol", B, A),
        commit(B, "dave"),
        commit(M2, "bob", OLD, M),
    ]
    assert bringers({c.oid: c for c in pushed}, {A}) == (A, M, M2)


def test_paths_are_matched_as_globs_and_grouped_by_the_commits_that_bring_them() -> None:
    pushed = {c.oid: c for c in (commit(A, "alice"), commit(B, "bob"))}
    touched = {
        "clusters/prod/app.yaml": (A,),
        "clusters/prod/db/secret.yaml": (A,),
        "networkpolicy-web.yaml": (B,),
        "apps/networkpolicy.yaml": (B,),
        "clusters/production/app.yaml": (A,),
        "clusters/prod": (A,),
    }
    assert changes(PROD, pushed, touched) == (
        Change(("apps/networkpolicy.yaml", "networkpolicy-web.yaml"), (B,)),
        Change(("clusters/prod/app.yaml", "clusters/prod/db/secret.yaml"), (A,)),
    )


def test_a_group_without_enough_other_members_says_so() -> None:
    rule = ProtectedPaths(("clusters/prod/**",), ("alice",), 2)
    [(_, _, message)] = judge(commit(A, "alice"), rule=rule)
    ctx = context(commit(A, "alice"))
    [violation] = check(ctx, rule, changes(rule, ctx.push.commits, {"clusters/prod/x": (A,)}))
    assert violation.hint == (
        "too few other allowed signers (alice) hold a key that can sign now: ask an admin to "
        "allow another signer, or to lower the rule's min_signers"
    )
    assert message.endswith("needs 1 more distinct allowed signer (2 of alice)")


def test_a_change_no_commit_brings_is_refused() -> None:
    ctx = context(commit(A, "alice"))
    [violation] = check(ctx, PROD._replace(min_signers=1), [Change(("clusters/prod/x",), ())])
    assert violation.message == (
        "clusters/prod/x: signed by no allowed signer; needs 1 more distinct allowed signer "
        "(1 of group:maintainers)"
    )
    assert violation.oid is None


def test_commits_missing_from_the_facts_fail_closed() -> None:
    ctx = context(commit(A, "alice"))
    with pytest.raises(GitError, match="was not read"):
        list(check(ctx, PROD, [Change(("clusters/prod/x",), (B,))]))


def test_nobody_allowed_counts_nobody() -> None:
    rule = ProtectedPaths(("**",), (), 1)
    assert [v[0] for v in judge(commit(A, "alice"), rule=rule)] == ["prod-paths/path-signature"]


SIGNED_BY = st.sampled_from(["alice", "alice-ssh", "bob", "carol", "dave", "erin", None])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(SIGNED_BY, st.booleans()), min_size=1, max_size=8),
    st.integers(1, 3),
)
def test_a_chain_needs_n_distinct_allowed_signers_among_the_commits_that_change_the_path(
    chain: list[tuple[str | None, bool]], n: int
) -> None:
    commits, parent = [], OLD
    for i, (name, _) in enumerate(chain):
        commits.append(commit(oid(i + 1), name, parent))
        parent = commits[-1].oid
    touching = tuple(c.oid for c, (_, touches) in zip(commits, chain, strict=True) if touches)
    rule = PROD._replace(min_signers=n)
    found = judge(*commits, touching=touching, rule=rule)
    names = [name for name, touches in chain if touches]
    allowed = {"alice-ssh": "alice"}
    counted = {allowed.get(x, x) for x in names if x in ("alice", "alice-ssh", "bob", "carol")}
    refused = [x for x in names if x not in ("alice", "alice-ssh", "bob", "carol")]
    assert [v for v in found if v[0].endswith("path-signature")] == [
        v for v in found if v[0].endswith("path-signature") and v[1] in touching
    ]
    assert sum(v[0].endswith("path-signature") for v in found) == len(refused)
    short = len(counted) < n and not (n == 1 and refused)
    assert any(v[0].endswith("two-person") for v in found) is short


def test_more_than_one_missing_signer_is_counted() -> None:
    three = PROD._replace(min_signers=3)
    ctx = context(commit(A, "alice"), commit(M, "bob", OLD, A))
    [violation] = check(ctx, three, changes(three, ctx.push.commits, {"clusters/prod/x": (A,)}))
    assert violation.message.endswith(
        f"signed by alice ({A[:10]}), bob ({M[:10]}) only; needs 1 more distinct allowed signer "
        "(3 of group:maintainers)"
    )
    ctx = context(commit(A, "alice"))
    [violation] = check(ctx, three, changes(three, ctx.push.commits, {"clusters/prod/x": (A,)}))
    assert violation.message.endswith(
        "needs 2 more distinct allowed signers (3 of group:maintainers)"
    )
    assert violation.hint == (
        "ask 2 other allowed signers (bob, carol) to bring it with signed merge commits onto "
        "main, each merging the one before (git merge --no-ff -S)"
    )

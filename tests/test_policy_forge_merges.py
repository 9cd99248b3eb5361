"""Merges made by the forge (`signatures.forge_merges`), judged by the pure engine on literal
commits shaped as Gitea makes them: a pull request of two commits (C1, HEAD) on top of main's
tip (OLD), merged as a merge commit, a squash or a re-worded rebase, with Gitea's claim."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitward.errors import GitError
from gitward.model import (
    Commit,
    Person,
    Push,
    Pusher,
    RefFacts,
    RefUpdate,
    SigKind,
    SignatureCheck,
    Verdict,
)
from gitward.policy.engine import evaluate
from gitward.policy.mergefacts import ForgeMerge, MergeClaim, PullHead
from gitward.policy.spec import (
    ForgeMerges,
    MergeStyle,
    OpenPGPKey,
    Policy,
    Rule,
    SignatureRule,
    Signer,
    Signers,
)

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, C1, HEAD, TIP, OTHER = "a" * 40, "1" * 40, "2" * 40, "3" * 40, "4" * 40
ZERO = "0" * 40
TREE, OTHER_TREE = "e" * 40, "f" * 40
ALICE_KEY, INSTANCE_KEY = "A" * 40, "C" * 40
ALICE = Person("Alice", "alice@example.com")
MERGER = Person("Bob Merger", "bob@example.com")  # who pressed Merge: Gitea commits as them
SIGNERS = Signers(
    (
        Signer(
            "alice", "Alice", ("alice@example.com",), ("maintainers",), (OpenPGPKey(ALICE_KEY),)
        ),
        Signer("gitea-instance", "Gitea", ("gitea@example.com",), (), (OpenPGPKey(INSTANCE_KEY),)),
    )
)
MERGES = ForgeMerges()  # merge commits only, no forge signer
CLAIM = MergeClaim("pr-merge-to-base", pr_id=17, pr_index=3, internal=True)


def signed(key: str | None) -> SignatureCheck:
    if key is None:
        return SignatureCheck.unsigned()
    return SignatureCheck(SigKind.OPENPGP, True, key, key)


def commit(oid: str, parents: tuple[str, ...], key: str | None, who: Person = ALICE) -> Commit:
    return Commit(oid, parents, who, who, f"commit {oid[:4]}\n", signed(key))


PR = (commit(HEAD, (C1,), ALICE_KEY), commit(C1, (OLD,), ALICE_KEY))
MERGE = commit(TIP, (OLD, HEAD), None, MERGER)  # Gitea's merge, unsigned
SQUASH = commit(TIP, (OLD,), None, MERGER)
REWORDED = commit(TIP, (C1,), None, MERGER)  # rebase: HEAD with a message from a template


def policy(forge: ForgeMerges | None) -> Policy:
    sigrule = SignatureRule(("group:maintainers",), forge_merges=forge)
    return Policy((Rule("main", ("refs/heads/main",), signatures=sigrule),))


def judge(
    tip: Commit = MERGE,
    *,
    pr: tuple[Commit, ...] = PR,
    forge: ForgeMerges | None = MERGES,
    claim: MergeClaim | None = CLAIM,
    source: str = "gitea",
    contains_base: bool = True,
    tip_tree: str | None = TREE,
    head: bool = True,
    brings: tuple[str, ...] | None = None,
    refs: tuple[RefFacts, ...] | None = None,
    extra: tuple[Commit, ...] = (),
    read: bool = True,
) -> Verdict:
    """Gitea's push of `tip` to main, whose old tip is OLD; `brings`: the commits new to the
    rule (by default the tip and whichever PR commits it reaches); `read`: whether the facts
    hold the PR's commits the update does not bring."""
    if brings is None:
        reaches = {(OLD, HEAD): (HEAD, C1), (C1,): (C1,)}
        brings = (tip.oid, *reaches.get(tip.parents, ()))
    known = {c.oid: c for c in (tip, *pr, *extra)}
    facts = RefFacts(RefUpdate(OLD, tip.oid, "refs/heads/main"), True, {"main": brings})
    push = Push(
        "team/app",
        Pusher("bob", source),
        RECEIVED,
        refs or (facts,),
        {o: known[o] for o in brings if o in known},
    )
    merge = None
    if claim is not None:
        own = {"main": tuple(c.oid for c in pr)}
        pull = PullHead(HEAD, TREE, pr[0].parents, contains_base, own) if head else None
        outside = {c.oid: c for c in pr if c.oid not in brings and read}
        merge = ForgeMerge(claim, pull, tip_tree, outside)
    return evaluate(policy(forge), SIGNERS, push, merge)


def ids(verdict: Verdict) -> list[tuple[str, str | None]]:
    return [(v.rule_id, v.oid[:4] if v.oid else None) for v in verdict.violations]


def test_a_merge_of_signed_commits_is_accepted() -> None:
    assert judge().violations == ()


def test_without_the_option_the_merge_is_refused_like_any_unsigned_commit() -> None:
    verdict = judge(forge=None)
    assert ids(verdict) == [("main/signature", "3333")]
    assert "not signed" in verdict.violations[0].message


def test_without_a_claim_the_merge_is_refused() -> None:
    assert ids(judge(claim=None)) == [("main/signature", "3333")]


def test_an_unsigned_commit_of_the_pull_request_is_refused() -> None:
    pr = (PR[0], commit(C1, (OLD,), None))
    assert ids(judge(pr=pr)) == [("main/signature", "1111")]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"source": "git-daemon"}, "came through git-daemon, not Gitea"),
        ({"source": "local"}, "came through local, not Gitea"),
        ({"claim": CLAIM._replace(internal=False)}, "not a push Gitea makes itself"),
        ({"claim": CLAIM._replace(pr_id=None)}, "names none (GITEA_PR_ID)"),
        ({"claim": CLAIM._replace(pr_index=None)}, "without GITEA_PR_INDEX"),
        ({"head": False}, "refs/pull/3/head names no commit here"),
    ],
)
def test_a_claim_that_does_not_count_leaves_the_merge_refused(
    change: dict[str, object], words: str
) -> None:
    verdict = judge(**change)  # type: ignore[arg-type]
    assert ids(verdict) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    assert words in verdict.violations[0].message
    assert verdict.violations[0].hint.startswith(("ask an admin", "push merges through"))


def test_a_claim_for_a_push_of_two_refs_does_not_count() -> None:
    main = RefFacts(RefUpdate(OLD, TIP, "refs/heads/main"), True, {"main": (TIP, HEAD, C1)})
    other = RefFacts(RefUpdate(ZERO, TIP, "refs/heads/other"), None, {})
    verdict = judge(refs=(main, other))
    assert "updates 2 refs" in verdict.violations[0].message
    assert not verdict.allowed


@pytest.mark.parametrize(
    "facts",
    [
        RefFacts(RefUpdate(ZERO, TIP, "refs/heads/main"), None, {"main": (TIP, HEAD, C1)}),
        RefFacts(RefUpdate(OTHER, TIP, "refs/heads/main"), False, {"main": (TIP, HEAD, C1)}),
    ],
)
def test_a_claim_that_creates_or_rewrites_the_branch_does_not_count(facts: RefFacts) -> None:
    verdict = judge(refs=(facts,))
    assert "does not move an existing branch forward" in verdict.violations[0].message


def test_a_claim_that_deletes_the_branch_does_not_count() -> None:
    deletion = RefFacts(RefUpdate(OLD, ZERO, "refs/heads/main"), None, {"main": ()})
    verdict = judge(refs=(deletion,))
    assert ids(verdict) == [("main/forge-merge", None)]
    assert "does not move an existing branch forward" in verdict.violations[0].message


def test_a_merge_whose_second_parent_is_not_the_pull_request_head() -> None:
    forged = commit(TIP, (OLD, C1), None, MERGER)
    verdict = judge(forged, brings=(TIP, C1))
    assert ids(verdict) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    assert verdict.violations[0].message == (
        "claims to merge pull request #3, but its parents (aaaaaaaaaa, 1111111111) are not "
        "main's tip and the pull request's head"
    )


def test_a_merge_that_brings_other_commits_than_the_pull_requests() -> None:
    side = commit(OTHER, (OLD,), ALICE_KEY)  # signed, but not the pull request's
    forged = commit(TIP, (OLD, OTHER), None, MERGER)
    verdict = judge(forged, brings=(TIP, OTHER), extra=(side,))
    assert ids(verdict) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    assert "makes 2 new commits; gitward accepts one" in verdict.violations[0].message
    assert verdict.violations[0].hint.startswith("rebase pull request #3 onto main and sign it")


def test_a_fast_forward_to_the_pull_request_needs_no_forge_commit() -> None:
    assert judge(PR[0], brings=(HEAD, C1)).violations == ()


def test_a_merge_of_a_pull_request_that_is_behind_is_accepted() -> None:
    # Its tree is Gitea's merge of two signed histories: not recomputed, so not compared.
    assert judge(contains_base=False, tip_tree=OTHER_TREE).violations == ()


@pytest.mark.parametrize("tree", [OTHER_TREE, None])
def test_a_merge_of_an_up_to_date_pull_request_must_keep_its_tree(tree: str | None) -> None:
    verdict = judge(tip_tree=tree)
    assert ids(verdict) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    assert "its tree is not the tree of pull request #3's head" in verdict.violations[0].message


def test_a_squash_is_refused_unless_listed() -> None:
    verdict = judge(SQUASH)
    assert ids(verdict) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    message = verdict.violations[0].message
    assert (
        message == "is Gitea's squash of pull request #3; this rule allows forge merges by: merge"
    )
    assert "add squash to signatures.forge_merges.styles" in verdict.violations[0].hint


def test_a_listed_squash_is_accepted_and_the_squashed_commits_are_checked() -> None:
    squash = ForgeMerges(styles=("merge", "squash"))
    assert judge(SQUASH, forge=squash).violations == ()
    unsigned = (PR[0], commit(C1, (OLD,), None))
    assert ids(judge(SQUASH, forge=squash, pr=unsigned)) == [("main/signature", "1111")]


def test_a_squash_of_a_pull_request_that_is_behind_is_refused() -> None:
    verdict = judge(SQUASH, forge=ForgeMerges(("squash",)), contains_base=False)
    assert ids(verdict) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    assert "pull request #3 is behind main" in verdict.violations[0].message
    assert "`git rebase --exec 'git commit --amend --no-edit -n -S' aaaaaaaaaa`" in (
        verdict.violations[0].hint
    )


def test_a_squash_with_another_tree_than_the_pull_requests_is_refused() -> None:
    verdict = judge(SQUASH, forge=ForgeMerges(("squash",)), tip_tree=OTHER_TREE)
    assert "its tree is not the tree of pull request #3's head" in verdict.violations[0].message


@pytest.mark.parametrize("style", ["rebase", "squash"])
def test_a_one_commit_pull_request_squashed_or_rebased_looks_the_same(style: MergeStyle) -> None:
    one = (commit(HEAD, (OLD,), ALICE_KEY),)
    tip = commit(TIP, (OLD,), None, MERGER)
    assert judge(tip, pr=one, forge=ForgeMerges((style,)), brings=(TIP,)).violations == ()


def test_a_reworded_rebase_is_accepted_when_listed() -> None:
    assert ids(judge(REWORDED)) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    verdict = judge(REWORDED, forge=ForgeMerges(("rebase",)))
    assert verdict.violations == ()
    unsigned_head = (commit(HEAD, (C1,), None), PR[1])  # replaced by the re-worded copy
    assert ids(judge(REWORDED, pr=unsigned_head, forge=ForgeMerges(("rebase",)))) == [
        ("main/signature", "2222")
    ]


def test_a_rebase_merge_is_a_merge_of_an_up_to_date_pull_request() -> None:
    rebase_merge = ForgeMerges(("rebase-merge",))
    assert judge(forge=rebase_merge).violations == ()
    verdict = judge(forge=rebase_merge, contains_base=False)
    assert "is behind main: a rebase-merge counts only once it contains main's tip" in (
        verdict.violations[0].message
    )


def test_a_required_forge_signer_must_have_signed_the_merge() -> None:
    instance = ForgeMerges(signer="gitea-instance")
    verdict = judge(forge=instance)
    assert ids(verdict) == [("main/forge-merge", "3333"), ("main/signature", "3333")]
    assert verdict.violations[0].message == (
        "Gitea's merge of pull request #3 needs gitea-instance's signature: not signed"
    )
    assert verdict.violations[0].hint.startswith("set Gitea to sign merges with the key")
    by_instance = MERGE._replace(signature=signed(INSTANCE_KEY))
    assert judge(by_instance, forge=instance).violations == ()


def test_the_forge_signer_signs_forge_merges_only() -> None:
    # The instance key is no maintainer's: a commit it signs outside a forge merge is refused.
    by_instance = MERGE._replace(signature=signed(INSTANCE_KEY))
    verdict = judge(by_instance, forge=None)
    assert ids(verdict) == [("main/signature", "3333")]
    assert "which is not allowed to sign for refs/heads/main" in verdict.violations[0].message
    # And a maintainer's key is not the forge's.
    by_alice = MERGE._replace(signature=signed(ALICE_KEY))
    refused = judge(by_alice, forge=ForgeMerges(signer="gitea-instance"))
    # (Gitea commits as the merging user, whose e-mail is not alice's.)
    assert ids(refused) == [("main/forge-merge", "3333"), ("main/committer-email", "3333")]
    assert "(alice) which is not allowed" in refused.violations[0].message


def test_the_pull_requests_commits_must_have_been_read() -> None:
    with pytest.raises(GitError, match="was not read"):
        judge(SQUASH, forge=ForgeMerges(("squash",)), read=False)

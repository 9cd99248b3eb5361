"""The refs before the update are an input of `gather`: a receiver judging a push it already
fetched into a mirror passes the forge's before-state, and the mirror's own refs (which already
hold the new tips) decide nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from gwrepo import chain, commit, init, set_ref, tmpdir

from gitward.deadline import Deadline
from gitward.facts.before import RefsBefore, read_refs_before
from gitward.facts.gather import gather
from gitward.git.repo import Repo
from gitward.model import Push, Pusher, RefUpdate
from gitward.policy.engine import evaluate
from gitward.policy.spec import Policy, Rule, SignatureRule, Signers
from gitward.signing import Keyring

MAIN = Rule(id="protect-main", refs=("refs/heads/main",), signatures=SignatureRule(("alice",)))
POLICY = Policy(rules=(MAIN,))


class Loaded:
    policy = POLICY
    keyring = Keyring.from_certs([])


def judge(repo: Repo, update: RefUpdate, before: RefsBefore) -> Push:
    alice, when = Pusher("alice", "local"), datetime.now(UTC)
    return gather(repo, [update], before, Loaded(), alice, (), when, Deadline(30))


@pytest.fixture
def mirror() -> tuple[Path, RefUpdate]:
    """A mirror after fetching a push of two unsigned commits onto main: its main already
    holds the new tip."""
    bare = init(tmpdir() / "mirror.git")
    before = chain(bare, 2)[-1]
    first = commit(bare, "unsigned 1\n", [before])
    tip = commit(bare, "unsigned 2\n", [first])
    set_ref(bare, "refs/heads/main", tip)
    return bare, RefUpdate(before, tip, "refs/heads/main")


def test_the_forges_before_state_checks_the_pushed_commits(mirror: tuple[Path, RefUpdate]) -> None:
    bare, update = mirror
    with Repo(bare) as repo:
        push = judge(repo, update, RefsBefore({"refs/heads/main": update.old}))
    pushed = push.refs[0].commits_by_rule["protect-main"]
    assert len(pushed) == 2 and pushed[0] == update.new
    verdict = evaluate(POLICY, Signers(), push)
    assert not verdict.allowed
    assert {v.oid for v in verdict.blocking} == set(pushed)
    assert {v.rule_id for v in verdict.blocking} == {"protect-main/signature"}


def test_the_mirrors_own_refs_would_have_passed_them(mirror: tuple[Path, RefUpdate]) -> None:
    # Why the before-state is an input: read in the mirror, "before" already holds the tip.
    bare, update = mirror
    with Repo(bare) as repo:
        push = judge(repo, update, read_refs_before(repo, [update], Deadline(30)))
    assert push.refs[0].commits_by_rule["protect-main"] == ()
    assert evaluate(POLICY, Signers(), push).allowed


def test_a_ref_absent_from_the_before_state_counts_as_new(mirror: tuple[Path, RefUpdate]) -> None:
    # The forge says main did not exist: the whole history it brings is checked.
    bare, update = mirror
    created = update._replace(old="0" * 40)
    with Repo(bare) as repo:
        push = judge(repo, created, RefsBefore({}))
    assert len(push.refs[0].commits_by_rule["protect-main"]) == 4

"""gather(): which commits each rule checks, tags, fast-forward, and signatures, in real
repositories. Objects written without moving refs are what pre-receive sees: the pushed
objects exist, the refs still hold their old values."""

from __future__ import annotations

import functools
import json
import random
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gwkeys
import pytest
from gwrepo import (
    DATE,
    chain,
    commit,
    empty_tree,
    git,
    init,
    raw_commit,
    set_ref,
    tmpdir,
    write_loose,
    write_object,
)

from gitward.deadline import Deadline
from gitward.errors import BudgetExceeded, GitError
from gitward.facts.before import RefsBefore, read_refs_before
from gitward.facts.gather import gather
from gitward.git.repo import Repo
from gitward.model import Push, Pusher, RefUpdate, SigKind, SignatureCheck
from gitward.policy.spec import Policy, Rule, SignatureRule
from gitward.signing import Keyring

ZERO = "0" * 40
KEYS = Path(__file__).resolve().parent / "keys"
MAIN = Rule(id="protect-main", refs=("refs/heads/main", "refs/heads/release/*"))
RELEASE_ONLY = Rule(id="release-only", refs=("refs/heads/release/*",))
ALL_BRANCHES = Rule(id="all-branches", refs=("refs/heads/**",))
TAGS = Rule(id="tags", refs=("refs/tags/v*",), signatures=SignatureRule(signers=("alice",)))


@dataclass(frozen=True)
class Loaded:
    policy: Policy
    keyring: Keyring = field(default_factory=lambda: Keyring.from_certs([]))


@dataclass
class CountingVerifier:
    calls: list[bytes] = field(default_factory=list)

    def __call__(self, payload: bytes, signature: bytes) -> SignatureCheck:
        self.calls.append(payload)
        return SignatureCheck(SigKind.SSH, True, key_fingerprint="SHA256:fake")


def run(
    repo_path: Path,
    updates: Sequence[RefUpdate],
    rules: Sequence[Rule] = (MAIN,),
    **kwargs: object,
) -> Push:
    with Repo(repo_path) as repo:
        return gather(
            repo,
            updates,
            read_refs_before(repo, updates, Deadline(30)),
            Loaded(Policy(rules=tuple(rules))),
            Pusher("alice", "local"),
            (),
            datetime.now(UTC),
            Deadline(30),
            **kwargs,  # type: ignore[arg-type]  # keyword options of gather
        )


ssh_commit = functools.partial(gwkeys.ssh_signed_commit_object, "alice")


@pytest.fixture
def bare() -> Path:
    return init(tmpdir() / "r.git")


def test_a_commit_parked_on_an_unprotected_branch_is_checked_when_it_reaches_main(
    bare: Path,
) -> None:
    base = chain(bare, 2)
    parked = commit(bare, "unsigned, parked on topic\n", [base[-1]])
    set_ref(bare, "refs/heads/main", base[-1])
    set_ref(bare, "refs/heads/topic", parked)
    push = run(bare, [RefUpdate(base[-1], parked, "refs/heads/main")], [MAIN, ALL_BRANCHES])
    (facts,) = push.refs
    assert facts.commits_by_rule["protect-main"] == (parked,)
    # a rule that also protects topic has seen the commit already
    assert facts.commits_by_rule["all-branches"] == ()
    assert facts.fast_forward is True
    assert set(push.commits) == {parked}
    assert push.commits[parked].signature.kind is SigKind.NONE


def test_a_new_ref_is_never_old_dot_dot_new(bare: Path) -> None:
    base = chain(bare, 2)
    tip = commit(bare, "release work\n", [base[-1]])
    set_ref(bare, "refs/heads/main", base[-1])
    update = RefUpdate(ZERO, tip, "refs/heads/release/1.0")
    (facts,) = run(bare, [update], [MAIN, RELEASE_ONLY]).refs
    assert facts.fast_forward is None
    assert facts.commits_by_rule["protect-main"] == (tip,)  # main already has the rest
    # no existing ref is protected by release-only: the whole history is new to it
    assert facts.commits_by_rule["release-only"] == (tip, base[1], base[0])


def test_sha256_zero_ids_and_objects(tmp_path: Path) -> None:
    repo = init(tmpdir() / "s.git", object_format="sha256")
    c = commit(repo, "x\n")
    push = run(repo, [RefUpdate("0" * 64, c, "refs/heads/main")])
    assert push.refs[0].commits_by_rule["protect-main"] == (c,)
    assert push.commits[c].message == "x\n"


def test_deletion_and_force_push(bare: Path) -> None:
    a, b = chain(bare, 2)
    other = commit(bare, "rewritten\n", [a])
    set_ref(bare, "refs/heads/main", b)
    set_ref(bare, "refs/heads/release/1", b)
    push = run(
        bare,
        [RefUpdate(b, ZERO, "refs/heads/release/1"), RefUpdate(b, other, "refs/heads/main")],
    )
    deletion, force = push.refs
    assert (deletion.fast_forward, deletion.new_type) == (None, "")
    assert deletion.commits_by_rule == {"protect-main": ()}
    assert force.fast_forward is False
    assert force.commits_by_rule["protect-main"] == (other,)


def test_every_commit_is_read_and_verified_once(bare: Path) -> None:
    tree = empty_tree(bare)
    signed = [write_object(bare, "commit", ssh_commit(tree, [], b"s1\n"))]
    signed.append(write_object(bare, "commit", ssh_commit(tree, signed, b"s2\n")))
    verifier = CountingVerifier()
    updates = [
        RefUpdate(ZERO, signed[-1], "refs/heads/main"),
        RefUpdate(ZERO, signed[-1], "refs/heads/release/2"),
    ]
    push = run(bare, updates, [MAIN, RELEASE_ONLY, ALL_BRANCHES], verify=verifier)
    assert len(verifier.calls) == 2
    assert all(c.signature.good for c in push.commits.values())
    assert all(f.commits_by_rule["protect-main"] == tuple(signed[::-1]) for f in push.refs)


def test_real_ssh_signatures_are_verified_over_gits_payload() -> None:
    fingerprints = json.loads((KEYS / "fingerprints.json").read_text())
    for fmt in ("sha1", "sha256"):
        repo = init(tmpdir() / "r.git", object_format=fmt)
        tree = empty_tree(repo)
        good = write_object(repo, "commit", ssh_commit(tree, [], b"ok\n", fmt))
        tampered_raw = ssh_commit(tree, [good], b"ok\n", fmt)
        tampered = write_object(repo, "commit", tampered_raw.replace(b"\n\nok", b"\n\nOK"))
        push = run(repo, [RefUpdate("0" * len(good), tampered, "refs/heads/main")])
        assert push.commits[good].signature.good, fmt
        assert push.commits[good].signature.key_fingerprint == fingerprints["alice"]["ssh"]
        assert not push.commits[tampered].signature.good, fmt


def test_annotated_tags_are_parsed_verified_and_peeled(bare: Path) -> None:
    work = init(tmpdir() / "w", bare=False)
    git(work, "commit", "-q", "--allow-empty", "-m", "one")
    git(work, "tag", "-a", "-m", "old", "v0")
    git(work, "commit", "-q", "--allow-empty", "-m", "two")
    signing = ("-c", "gpg.format=ssh", "-c", f"user.signingkey={gwkeys.ssh_private_key('alice')}")
    git(work, *signing, "tag", "-s", "-m", "release", "v1")
    git(work, "push", "-q", str(bare), "refs/tags/v0")  # the server already has v0
    git(work, "push", "-q", str(bare), "refs/tags/v1:refs/scratch/v1")
    git(bare, "update-ref", "-d", "refs/scratch/v1")  # objects present, no ref: quarantine
    tag_oid = git(work, "rev-parse", "v1")
    head = git(work, "rev-parse", "HEAD")
    push = run(bare, [RefUpdate(ZERO, tag_oid, "refs/tags/v1")], [TAGS])
    (facts,) = push.refs
    assert facts.new_type == "tag"
    assert facts.tag is not None
    assert (facts.tag.name, facts.tag.target, facts.tag.target_type) == ("v1", head, "commit")
    assert facts.tag.message == "release\n"
    assert facts.tag.signature.good and facts.tag.signature.kind is SigKind.SSH
    assert facts.commits_by_rule["tags"] == (head,)  # v0's commit is excluded


def test_replace_refs_are_ignored(bare: Path) -> None:
    """An unsigned commit replaced by a signed one must still be judged unsigned."""
    tree = empty_tree(bare)
    unsigned = commit(bare, "unsigned\n")
    signed = write_object(bare, "commit", ssh_commit(tree, [], b"unsigned\n"))
    git(bare, "replace", unsigned, signed)
    push = run(bare, [RefUpdate(ZERO, unsigned, "refs/heads/main")])
    assert push.commits[unsigned].signature.kind is SigKind.NONE


def test_malformed_commits_refuse_with_a_git_error(bare: Path) -> None:
    tree = empty_tree(bare)
    raw = raw_commit(tree, extra=[(b"committer", b"Eve <alice@example.com> 1 +0000")])
    bad = write_object(bare, "commit", raw)
    with pytest.raises(GitError, match="more than one committer"):
        run(bare, [RefUpdate(ZERO, bad, "refs/heads/main")])


def test_an_exhausted_budget_raises(bare: Path) -> None:
    tip = chain(bare, 3)[-1]
    deadline = Deadline(0.001)
    with Repo(bare) as repo, pytest.raises(BudgetExceeded):
        while not deadline.expired():
            pass
        gather(
            repo,
            [RefUpdate(ZERO, tip, "refs/heads/main")],
            RefsBefore({}),
            Loaded(Policy(rules=(MAIN,))),
            Pusher("alice", "local"),
            (),
            datetime.now(UTC),
            deadline,
        )


def test_check_ranges_are_exact_and_progress_is_reported(bare: Path) -> None:
    commits = chain(bare, 250)
    set_ref(bare, "refs/heads/main", commits[-1])
    set_ref(bare, "refs/heads/release/1", commits[100])
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))

    moved = RefUpdate(commits[9], commits[-1], "refs/heads/main")
    exact = run(bare, [moved], exact_ranges=True).refs[0]
    assert exact.commits_by_rule["protect-main"] == tuple(commits[10:][::-1])
    whole = run(bare, [RefUpdate(ZERO, commits[-1], "refs/heads/main")], exact_ranges=True,
                progress=progress).refs[0]  # fmt: skip
    # main itself is not excluded; the other protected ref (release/1) is
    assert whole.commits_by_rule["protect-main"] == tuple(commits[101:][::-1])
    assert seen == [(100, 149), (149, 149)]
    # the same update as a push: main's own tip excludes everything
    pushed = run(bare, [RefUpdate(ZERO, commits[-1], "refs/heads/main")]).refs[0]
    assert pushed.commits_by_rule["protect-main"] == ()


def test_tags_of_trees_bring_no_commits(bare: Path) -> None:
    tree = empty_tree(bare)
    raw = f"object {tree}\ntype tree\ntag v-tree\ntagger A <a@b> 1 +0000\n\ntree\n"
    tag = write_object(bare, "tag", raw.encode())
    (facts,) = run(bare, [RefUpdate(ZERO, tag, "refs/tags/v-tree")], [TAGS]).refs
    assert facts.commits_by_rule == {"tags": ()}
    assert facts.tag is not None and facts.tag.signature.kind is SigKind.NONE


@pytest.mark.parametrize("fmt", ["sha1", "sha256"])
def test_gpg_signed_commits_from_real_git_are_verified(
    fmt: str, gnupghome: Path, keyring_all: Keyring
) -> None:
    """`git commit -S` with GnuPG writes `gpgsig` (SHA-1) or `gpgsig-sha256` (SHA-256)."""
    work = init(tmpdir() / "w", bare=False, object_format=fmt)
    env = gwkeys.git_env(gnupghome)
    sign = gwkeys.sign_config("openpgp", "alice")
    subprocess.run(
        ["git", *sign, "commit", "-q", "--allow-empty", "-S", "-m", "signed"],
        cwd=work, env=env, check=True, capture_output=True,
    )  # fmt: skip
    head = git(work, "rev-parse", "HEAD")
    git(work, "update-ref", "-d", "refs/heads/main")  # as if pushed: the object, no ref
    with Repo(work) as repo:
        update = RefUpdate("0" * len(head), head, "refs/heads/main")
        push = gather(
            repo,
            [update],
            read_refs_before(repo, [update], Deadline(30)),
            Loaded(Policy(rules=(MAIN,)), keyring_all),
            Pusher("alice", "local"),
            (),
            datetime.now(UTC),
            Deadline(30),
        )
    sig = push.commits[head].signature
    assert (sig.kind, sig.good) == (SigKind.OPENPGP, True), sig.problem
    assert sig.key_fingerprint == gwkeys.fingerprint("alice")


def test_refs_a_rule_excludes_do_not_count_as_protected_by_it(bare: Path) -> None:
    # Parked on an excluded branch, the commit is new to the rule when it reaches a ref the
    # rule covers: excluded refs are outside the rule, like unprotected ones.
    broad = Rule(id="branches", refs=("refs/heads/**",), exclude_refs=("refs/heads/parking/*",))
    base = chain(bare, 1)
    set_ref(bare, "refs/heads/main", base[-1])
    parked = commit(bare, "parked\n", [base[-1]])
    set_ref(bare, "refs/heads/parking/x", parked)
    push = run(bare, [RefUpdate(ZERO, parked, "refs/heads/feature")], [broad])
    assert push.refs[0].commits_by_rule["branches"] == (parked,)


def test_a_warn_rule_reports_on_commits_new_to_the_repository(bare: Path) -> None:
    # A warning rule that leaves main out must not re-read main's history for every new branch.
    warn = Rule(id="style", refs=("refs/heads/**",), exclude_refs=("refs/heads/main",), mode="warn")
    base = chain(bare, 3)
    set_ref(bare, "refs/heads/main", base[-1])
    topic = commit(bare, "topic work\n", [base[-1]])
    push = run(bare, [RefUpdate(ZERO, topic, "refs/heads/topic")], [warn])
    assert push.refs[0].commits_by_rule["style"] == (topic,)
    # The same rule enforced keeps the strict meaning: main is not a ref it protects.
    enforced = warn._replace(mode="enforce")
    push = run(bare, [RefUpdate(ZERO, topic, "refs/heads/topic")], [enforced])
    assert set(push.refs[0].commits_by_rule["style"]) == {topic, *base}


def test_many_new_branches_ask_git_once_per_exclusion_set(
    bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mirror push: 300 new branches, one new commit each on a base main already has.
    base = chain(bare, 1)[0]
    set_ref(bare, "refs/heads/main", base)
    set_ref(bare, "refs/tags/old", commit(bare, "side\n"))
    tree = empty_tree(bare)
    news = [
        write_loose(bare / "objects", "commit", raw_commit(tree, [base], b"b%d\n" % i))
        for i in range(300)
    ]
    updates = [RefUpdate(ZERO, c, f"refs/heads/b{i}") for i, c in enumerate(news)]
    # all-branches and also exclude main's tip; the warn rule every ref's (the tag's too)
    also = Rule(id="also", refs=("refs/heads/*",))
    style = Rule(id="style", refs=("refs/heads/**",), mode="warn")
    runs: list[str] = []
    real_run = subprocess.run

    def counting(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        runs.append(argv[1])
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    push = run(bare, updates, [ALL_BRANCHES, also, style])
    monkeypatch.undo()
    assert [f.update.ref for f in push.refs] == [u.ref for u in updates]
    for facts, c in zip(push.refs, news, strict=True):
        assert facts.commits_by_rule == {"all-branches": (c,), "also": (c,), "style": (c,)}
    assert runs.count("rev-list") <= 2  # two exclusion sets, not 300 refs times 3 rules
    assert set(push.commits) == set(news)


def _dag(repo: Path, parents: Sequence[Sequence[int]], dates: Sequence[int]) -> list[str]:
    """Commits `i` with parents `parents[i]` (earlier indexes) and committer time `dates[i]`."""
    tree, ids = empty_tree(repo), list[str]()
    for i, (ps, when) in enumerate(zip(parents, dates, strict=True)):
        raw = raw_commit(tree, [ids[p] for p in ps], b"n%d\n" % i)
        raw = raw.replace(f" {DATE}".encode(), b" %d +0000" % when)
        ids.append(write_loose(repo / "objects", "commit", raw))
    return ids


def test_each_ref_gets_the_order_its_own_rev_list_prints(bare: Path) -> None:
    # One listing of both tips (b first) meets y before x; a's own rev-list meets x first.
    # Every commit has the same date, so only the order of meeting orders them.
    z, x, y, a, b = _dag(bare, [[], [0], [0], [1, 2], [2]], [100] * 5)
    updates = [RefUpdate(ZERO, b, "refs/heads/b"), RefUpdate(ZERO, a, "refs/heads/a")]
    push = run(bare, updates, [ALL_BRANCHES])
    assert push.refs[1].commits_by_rule["all-branches"] == (a, x, y, z)
    assert push.refs[0].commits_by_rule["all-branches"] == (b, y, z)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merges_and_equal_dates_give_the_answers_of_one_rev_list_per_ref(
    bare: Path, seed: int
) -> None:
    rng = random.Random(seed)  # noqa: S311  # a reproducible history, not a secret
    parents: list[list[int]] = [[]]
    dates = [1000]
    for i in range(1, 60):
        ps = rng.sample(range(i), min(i, rng.choice([1, 1, 2, 3])))
        parents.append(ps)
        # Never older than a parent: under clock skew git's walk of one ref may list commits
        # the excluded tips reach (it stops early), which one walk over many refs may not.
        dates.append(max(dates[p] for p in ps) + rng.choice([0, 0, 1, 7]))
    ids = _dag(bare, parents, dates)
    for i, oid in enumerate(rng.sample(ids, 4)):
        set_ref(bare, f"refs/heads/old{i}", oid)
    tips = rng.sample(ids, 8)
    updates = [RefUpdate(ZERO, t, f"refs/heads/new{i}") for i, t in enumerate(tips)]
    rules = [ALL_BRANCHES, Rule(id="w", refs=("refs/heads/new*",), mode="warn")]
    push = run(bare, updates, rules)
    with Repo(bare) as repo:
        old = list(repo.for_each_ref().values())  # the new refs do not exist yet
        for facts in push.refs:
            want = tuple(repo.rev_list([facts.update.new], old))
            assert facts.commits_by_rule == {"all-branches": want, "w": want}

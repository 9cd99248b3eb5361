"""gather_merge(): the facts of a push the forge says merges a pull request, read from a real
repository as pre-receive sees it (the pushed objects exist, the refs still hold their old
values), and the hook's reading of Gitea's claim from its environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gwrepo import commit, empty_tree, git, init, raw_commit, set_ref, write_object

from gitward.deadline import Deadline
from gitward.errors import GitError
from gitward.facts.before import read_refs_before
from gitward.facts.gather import gather
from gitward.facts.merges import gather_merge
from gitward.git.repo import Repo
from gitward.hook.mergeclaim import merge_claim
from gitward.model import Push, Pusher, RefUpdate, SigKind, SignatureCheck
from gitward.policy.mergefacts import ForgeMerge, MergeClaim
from gitward.policy.spec import ForgeMerges, Policy, Rule, SignatureRule
from gitward.signing import Keyring

ZERO = "0" * 40
CLAIM = MergeClaim("pr-merge-to-base", pr_id=17, pr_index=3, internal=True)
MERGING = Rule(
    "protect-main",
    ("refs/heads/main",),
    signatures=SignatureRule(("alice",), forge_merges=ForgeMerges()),
)
PLAIN = Rule("protect-main", ("refs/heads/main",), signatures=SignatureRule(("alice",)))


@dataclass(frozen=True)
class Loaded:
    policy: Policy
    keyring: Keyring = field(default_factory=lambda: Keyring.from_certs([]))


def verify(payload: bytes, signature: bytes) -> SignatureCheck:
    return SignatureCheck(SigKind.SSH, True, key_fingerprint="SHA256:fake")


@dataclass
class PullRequest:
    """main at `base`; pull request #3 of two commits (`first`, `head`) in refs/pull/3/head."""

    path: Path
    base: str
    first: str
    head: str

    def file(self, name: str) -> str:
        """A tree holding one file `name`."""
        blob = git(self.path, "hash-object", "-w", "--stdin", input=name.encode())
        return git(self.path, "mktree", input=f"100644 blob {blob}\t{name}\n".encode())


@pytest.fixture
def pull(tmp_path: Path) -> PullRequest:
    path = init(tmp_path / "base.git")
    base = commit(path, "base")
    set_ref(path, "refs/heads/main", base)
    first = commit(path, "one", [base])
    pr = PullRequest(path, base, first, "")
    pr.head = commit(path, "two", [first], tree=pr.file("two.txt"))
    set_ref(path, "refs/pull/3/head", pr.head)
    return pr


def facts(
    path: Path,
    updates: list[RefUpdate],
    claim: MergeClaim = CLAIM,
    rule: Rule = MERGING,
) -> tuple[Push, ForgeMerge | None]:
    loaded = Loaded(Policy((rule,)))
    deadline = Deadline(30)
    with Repo(path) as repo:
        before = read_refs_before(repo, updates, deadline)
        pusher = Pusher("bob", "gitea")
        now = datetime.now(UTC)
        push = gather(repo, updates, before, loaded, pusher, (), now, deadline, verify=verify)
        merge = gather_merge(repo, push, before, claim, loaded, deadline, verify=verify)
    return push, merge


def test_a_merge_of_the_pull_request(pull: PullRequest) -> None:
    tree = pull.file("two.txt")
    merge = commit(pull.path, "Merge pull request", [pull.base, pull.head], tree=tree)
    push, found = facts(pull.path, [RefUpdate(pull.base, merge, "refs/heads/main")])
    assert found is not None and found.head is not None
    assert push.refs[0].commits_by_rule["protect-main"] == (merge, pull.head, pull.first)
    assert found.head.oid == pull.head
    assert found.head.tree == tree
    assert found.head.parents == (pull.first,)
    assert found.head.contains_base
    assert found.head.commits_by_rule == {"protect-main": (pull.head, pull.first)}
    assert found.tip_tree == tree
    assert found.commits == {}  # the update brings them: read with the push's own


def test_a_squash_reads_the_commits_it_replaces(pull: PullRequest) -> None:
    squash = commit(pull.path, "Squash", [pull.base], tree=pull.file("two.txt"))
    push, found = facts(pull.path, [RefUpdate(pull.base, squash, "refs/heads/main")])
    assert found is not None and found.head is not None
    assert push.refs[0].commits_by_rule["protect-main"] == (squash,)
    assert set(found.commits) == {pull.head, pull.first}
    assert found.commits[pull.first].message == "one"


def test_a_pull_request_that_is_behind(pull: PullRequest) -> None:
    later = commit(pull.path, "later", [pull.base])
    set_ref(pull.path, "refs/heads/main", later)
    merge = commit(pull.path, "Merge", [later, pull.head])
    _, found = facts(pull.path, [RefUpdate(later, merge, "refs/heads/main")])
    assert found is not None and found.head is not None
    assert not found.head.contains_base


def test_nothing_without_a_rule_that_allows_forge_merges(pull: PullRequest) -> None:
    merge = commit(pull.path, "Merge", [pull.base, pull.head])
    assert facts(pull.path, [RefUpdate(pull.base, merge, "refs/heads/main")], rule=PLAIN)[1] is None


@pytest.mark.parametrize("index", [None, 4])
def test_no_head_for_a_claim_naming_no_pull_request_here(
    pull: PullRequest, index: int | None
) -> None:
    merge = commit(pull.path, "Merge", [pull.base, pull.head])
    claim = CLAIM._replace(pr_index=index)
    _, found = facts(pull.path, [RefUpdate(pull.base, merge, "refs/heads/main")], claim)
    assert found == ForgeMerge(claim)


def test_no_head_for_a_push_of_two_refs_or_a_deletion(pull: PullRequest) -> None:
    merge = commit(pull.path, "Merge", [pull.base, pull.head])
    two = [RefUpdate(pull.base, merge, "refs/heads/main"), RefUpdate(ZERO, merge, "refs/heads/x")]
    assert facts(pull.path, two)[1] == ForgeMerge(CLAIM)
    deletion = [RefUpdate(pull.base, ZERO, "refs/heads/main")]
    assert facts(pull.path, deletion)[1] == ForgeMerge(CLAIM)


def test_no_head_when_the_pull_ref_names_no_commit(pull: PullRequest) -> None:
    set_ref(pull.path, "refs/pull/3/head", empty_tree(pull.path))
    merge = commit(pull.path, "Merge", [pull.base, pull.head])
    assert facts(pull.path, [RefUpdate(pull.base, merge, "refs/heads/main")])[1] == ForgeMerge(
        CLAIM
    )


def test_a_new_branch_does_not_contain_the_base(pull: PullRequest) -> None:
    _, found = facts(pull.path, [RefUpdate(ZERO, pull.head, "refs/heads/main")])
    assert found is not None and found.head is not None
    assert not found.head.contains_base


def test_no_tree_for_a_tip_that_is_no_commit(pull: PullRequest) -> None:
    tag = write_object(
        pull.path,
        "tag",
        f"object {pull.head}\ntype commit\ntag t\ntagger A <a@b> 0 +0000\n\nt\n".encode(),
    )
    _, found = facts(pull.path, [RefUpdate(pull.base, tag, "refs/heads/main")])
    assert found is not None and found.head is not None
    assert found.tip_tree is None


def test_a_malformed_head_fails_closed(pull: PullRequest) -> None:
    bad = write_object(pull.path, "commit", raw_commit("not-a-tree", message=b"x\n"))
    merge = commit(pull.path, "Merge", [pull.base, pull.head])
    (pull.path / "refs" / "pull" / "3" / "head").write_text(bad + "\n")  # git would refuse
    with pytest.raises(GitError, match=f"malformed commit {bad}"):
        facts(pull.path, [RefUpdate(pull.base, merge, "refs/heads/main")])


GITEA = {
    "GITEA_PUSH_TRIGGER": "pr-merge-to-base",
    "GITEA_PR_ID": "17",
    "GITEA_PR_INDEX": "3",
    "SSH_ORIGINAL_COMMAND": "gitea-internal",
}


@pytest.mark.parametrize(
    ("env", "claim"),
    [
        (GITEA, CLAIM),
        ({}, None),
        ({**GITEA, "GITEA_PUSH_TRIGGER": "pr-update-with-base"}, None),
        (
            {**GITEA, "GITEA_PR_ID": "0", "GITEA_PR_INDEX": "0"},
            CLAIM._replace(pr_id=None, pr_index=None),
        ),
        ({**GITEA, "GITEA_PR_INDEX": " 3 "}, CLAIM),
        ({**GITEA, "GITEA_PR_INDEX": "-3"}, CLAIM._replace(pr_index=None)),
        ({**GITEA, "GITEA_PR_INDEX": "³"}, CLAIM._replace(pr_index=None)),
        ({**GITEA, "GITEA_PR_INDEX": "9" * 19}, CLAIM._replace(pr_index=None)),
        ({k: v for k, v in GITEA.items() if k != "GITEA_PR_INDEX"}, CLAIM._replace(pr_index=None)),
        (
            {**GITEA, "SSH_ORIGINAL_COMMAND": "git-receive-pack 'team/app.git'"},
            CLAIM._replace(internal=False),
        ),
    ],
)
def test_the_hook_reads_gitea_s_claim(env: dict[str, str], claim: MergeClaim | None) -> None:
    assert merge_claim(env) == claim

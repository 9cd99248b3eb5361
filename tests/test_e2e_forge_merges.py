"""End to end: pull requests merged by Gitea's Merge button, through the installed hook.

The test plays Gitea's part as `services/pull/merge.go` does it: the pull request's head is
kept in the base repository as `refs/pull/<index>/head`; a merge is built in a temporary
repository (`git merge --no-ff --no-commit` then `git commit`, `git merge --squash`, or `git
rebase` then `git merge --ff-only`) with the merging user as author and committer, unsigned or
signed with the instance key (`-S<key id>`), and pushed to the base branch by a local `git
push` with the environment Gitea gives its own pushes (`FullPushingEnvironment` plus
GITEA_PUSH_TRIGGER). Maintainer commits are signed by alice with real gpg; carol's key plays
Gitea's instance key, registered as signer `gitea-instance` in no group."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import gwkeys
import pytest
from gwpush import Client, Pushed, Signer, audit, bare_repo, server_refs, write_config
from gwrepo import git as run_git

POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
"""
INSTANCE = "carol"  # whose key plays Gitea's instance key
PR = 3  # the pull request's number (GITEA_PR_INDEX); its database id is 17 (GITEA_PR_ID)
MERGER = {  # who presses Merge: Gitea commits as them (`doer.NewGitSig()`)
    "GIT_AUTHOR_NAME": "Bob Example",
    "GIT_AUTHOR_EMAIL": "bob@example.com",
    "GIT_COMMITTER_NAME": "Bob Example",
    "GIT_COMMITTER_EMAIL": "bob@example.com",
}
_SERVERS = itertools.count()


def gitea_env(pr_index: int = PR) -> dict[str, str]:
    """What Gitea's push of a merge carries: `FullPushingEnvironment(headUser, doer, repo,
    repo.Name, pr.ID, pr.Index)` and `GITEA_PUSH_TRIGGER=pr-merge-to-base`."""
    return {
        "GIT_AUTHOR_NAME": "Alice Example",  # the head repository's owner
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Bob Example",
        "GIT_COMMITTER_EMAIL": "bob@example.com",
        "GITEA_PR_ID": "17",
        "GITEA_PR_INDEX": str(pr_index),
        "SSH_ORIGINAL_COMMAND": "gitea-internal",
        "GITEA_ROOT_URL": "https://git.example.com/",
        "GITEA_REPO_NAME": "app",
        "GITEA_REPO_USER_NAME": "team",
        "GITEA_REPO_ID": "1",
        "GITEA_REPO_IS_WIKI": "false",
        "GITEA_PUSHER_NAME": "bob",
        "GITEA_PUSHER_ID": "2",
        "GITEA_PUSHER_EMAIL": "bob@example.com",
        "GITEA_PUSH_TRIGGER": "pr-merge-to-base",
    }


def server_with(tmp_path: Path, option: str | None) -> tuple[Path, Path]:
    """A hooked bare repository whose rule has `forge_merges: <option>` (None: not at all)."""
    policy = POLICY + (f"      forge_merges: {option}\n" if option is not None else "")
    etc = tmp_path / f"etc{next(_SERVERS)}"
    config = write_config(etc, policy, {"alice": Signer()})
    fpr = gwkeys.fingerprint(INSTANCE)
    (etc / "signers" / "keys" / f"{fpr}.asc").write_bytes(gwkeys.public_key(INSTANCE))
    (etc / "signers" / "gitea-instance.yaml").write_text(
        "id: gitea-instance\nname: Gitea\nemails: [gitea@example.com]\n"
        f"openpgp:\n  - fingerprint: {fpr}\n"
    )
    return bare_repo(etc.parent / f"srv-{etc.name}" / "app.git", config), config


class Repository:
    """alice's clone, a base repository on the server, and Gitea's side of pull requests."""

    def __init__(self, tmp_path: Path, gnupghome: Path, server: Path) -> None:
        self.tmp, self.home, self.server = tmp_path, gnupghome, server
        self.alice = Client(tmp_path / f"alice-{server.parent.name}", gnupghome)
        self.merges = 0

    def commit(self, name: str, *, signed: bool = True) -> str:
        """alice adds a file `name` in a commit, signed unless told otherwise."""
        (self.alice.path / name).write_text(f"{name}\n")
        self.alice.git("add", name)
        return self.alice.commit(f"add {name}", sign=("openpgp", "alice") if signed else None)

    def push(self, refspec: str) -> None:
        result = self.alice.push(self.server, refspec)
        assert result.ok, result.text

    def open_pull(self) -> None:
        """alice pushes her branch and opens pull request #3 from it: Gitea keeps its head in
        the base repository."""
        self.push("HEAD:refs/heads/feature")
        head = self.alice.git("rev-parse", "HEAD")
        run_git(self.server, "update-ref", f"refs/pull/{PR}/head", head)

    def gitea(self, style: str, *, sign: bool = False, second_parent: str | None = None) -> Client:
        """A temporary repository holding Gitea's merge of the pull request as `base`."""
        self.merges += 1
        tmp = Client(self.tmp / f"gitea-merge-{self.server.parent.name}-{self.merges}", self.home)
        url = str(self.server)
        tmp.git("fetch", "-q", url, "main:base", f"refs/pull/{PR}/head:tracking")
        tmp.git("checkout", "-q", "base")
        signing = [f"-S{gwkeys.signing_fingerprint(INSTANCE)}!"] if sign else ["--no-gpg-sign"]
        message = f"Merge pull request 'Add features' (#{PR}) from feature into main"
        if style == "merge":
            tmp.git("merge", "-q", "--no-ff", "--no-commit", "tracking", env=MERGER)
            tmp.git("commit", "-q", *signing, "-m", message, env=MERGER)
        elif style == "squash":
            tmp.git("merge", "-q", "--squash", "tracking", env=MERGER)
            author = "--author=Alice Example <alice@example.com>"  # the pull request's poster
            tmp.git("commit", "-q", *signing, author, "-m", f"Add features (#{PR})", env=MERGER)
        elif style == "rebase":
            tmp.git("checkout", "-q", "-b", "staging", "tracking")
            tmp.git("rebase", "-q", "base", env=MERGER)
            tmp.git("checkout", "-q", "base")
            tmp.git("merge", "-q", "--ff-only", "staging", env=MERGER)
        else:  # a merge commit with another second parent than the pull request's head
            assert second_parent is not None
            tree = tmp.git("rev-parse", "tracking^{tree}")
            oid = tmp.git(
                "commit-tree", tree, "-p", "base", "-p", second_parent, "-m", message, env=MERGER
            )
            tmp.git("reset", "-q", "--hard", oid)
        return tmp

    def merge(
        self, style: str = "merge", *, env: Mapping[str, str] | None = None, **kw: object
    ) -> tuple[Pushed, str]:
        """Gitea's merge pushed to main; the push's result and the merge's id."""
        tmp = self.gitea(style, **kw)  # type: ignore[arg-type]
        pushed = tmp.push(self.server, "base:refs/heads/main", env=env or gitea_env())
        return pushed, tmp.git("rev-parse", "base")


def pull_request(tmp_path: Path, gnupghome: Path, option: str | None) -> tuple[Repository, Path]:
    """main with one signed commit, and pull request #3 of two signed commits on top of it."""
    server, config = server_with(tmp_path, option)
    repo = Repository(tmp_path, gnupghome, server)
    repo.commit("README")
    repo.push("HEAD:refs/heads/main")
    repo.alice.git("checkout", "-q", "-b", "feature")
    repo.commit("one.txt")
    repo.commit("two.txt")
    repo.open_pull()
    return repo, config


def said(pushed: Pushed) -> str:
    """gitward's report as one line (messages are wrapped at the report's width)."""
    return " ".join(line.removeprefix("gitward:").strip() for line in pushed.gitward)


def refused(pushed: Pushed, server: Path, main: str, *words: str) -> None:
    """The push was refused, main did not move, and the report says each of `words`."""
    assert not pushed.ok, pushed.text
    assert server_refs(server)["refs/heads/main"] == main
    for text in words:
        assert text in said(pushed), pushed.text


def test_a_merge_of_signed_commits_is_accepted_only_with_the_option(
    tmp_path: Path, gnupghome: Path
) -> None:
    repo, _ = pull_request(tmp_path, gnupghome, None)
    main = server_refs(repo.server)["refs/heads/main"]
    pushed, merge = repo.merge()
    refused(pushed, repo.server, main, f"protect-main/signature on {merge[:10]}", "not signed")

    repo, config = pull_request(tmp_path, gnupghome, "{styles: [merge]}")
    pushed, merge = repo.merge()
    assert pushed.ok, pushed.text
    assert server_refs(repo.server)["refs/heads/main"] == merge
    assert pushed.gitward[-1] == "gitward: push accepted (3 commits checked)"
    record = audit(config)[-1]
    assert record["pusher"] == {"name": "bob", "source": "gitea", "id": "2"}
    assert record["repository"] == "team/app"


def test_a_pull_request_with_an_unsigned_commit_is_refused(tmp_path: Path, gnupghome: Path) -> None:
    server, _ = server_with(tmp_path, "{}")
    repo = Repository(tmp_path, gnupghome, server)
    repo.commit("README")
    repo.push("HEAD:refs/heads/main")
    main = server_refs(server)["refs/heads/main"]
    repo.alice.git("checkout", "-q", "-b", "feature")
    unsigned = repo.commit("one.txt", signed=False)
    repo.commit("two.txt")
    repo.open_pull()
    pushed, _ = repo.merge()
    refused(pushed, server, main, f"protect-main/signature on {unsigned[:10]}")
    assert "forge-merge" not in said(pushed), pushed.text


def test_the_claim_does_not_count_over_git_daemon(tmp_path: Path, gnupghome: Path) -> None:
    # The same variables, in a push that reaches the repository through `git daemon` (started
    # by the pusher's own `ext::` transport, so it hands them down to the hook).
    repo, config = pull_request(tmp_path, gnupghome, "{}")
    main = server_refs(repo.server)["refs/heads/main"]
    tmp = repo.gitea("merge")
    daemon = "git daemon --inetd --export-all --enable=receive-pack"
    url = f"ext::{daemon} --base-path={repo.server.parent} %G/{repo.server.name}"
    ext = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.ext.allow"}
    env = {**gitea_env(), **ext, "GIT_CONFIG_VALUE_0": "always"}
    pushed = tmp.push(url, "base:refs/heads/main", env=env)
    refused(pushed, repo.server, main, "protect-main/forge-merge", "came through git-daemon")
    assert audit(config)[-1]["pusher"]["source"] == "git-daemon"


def test_a_merge_whose_second_parent_is_not_the_pull_requests_head_is_refused(
    tmp_path: Path, gnupghome: Path
) -> None:
    repo, _ = pull_request(tmp_path, gnupghome, "{}")
    main = server_refs(repo.server)["refs/heads/main"]
    first = repo.alice.git("rev-parse", "feature~1")  # the pull request's, not its head
    pushed, merge = repo.merge("forged", second_parent=first)
    refused(
        pushed,
        repo.server,
        main,
        f"protect-main/forge-merge on {merge[:10]}",
        f"claims to merge pull request #{PR}, but its parents",
        f"protect-main/signature on {merge[:10]}",
    )


def test_a_claim_naming_another_pull_request_is_refused(tmp_path: Path, gnupghome: Path) -> None:
    repo, _ = pull_request(tmp_path, gnupghome, "{}")
    main = server_refs(repo.server)["refs/heads/main"]
    pushed, _ = repo.merge(env=gitea_env(pr_index=4))
    refused(pushed, repo.server, main, "refs/pull/4/head names no commit here")


def test_a_squash_is_refused_unless_the_policy_lists_it(tmp_path: Path, gnupghome: Path) -> None:
    repo, _ = pull_request(tmp_path, gnupghome, "{}")
    main = server_refs(repo.server)["refs/heads/main"]
    pushed, squash = repo.merge("squash")
    refused(pushed, repo.server, main, f"is Gitea's squash of pull request #{PR}")

    repo, _ = pull_request(tmp_path, gnupghome, "{styles: [merge, squash]}")
    pushed, squash = repo.merge("squash")
    assert pushed.ok, pushed.text
    assert server_refs(repo.server)["refs/heads/main"] == squash
    # The squash and the two commits it replaces.
    assert pushed.gitward[-1] == "gitward: push accepted (3 commits checked)"


def test_a_squash_or_rebase_of_a_pull_request_that_is_behind_is_refused(
    tmp_path: Path, gnupghome: Path
) -> None:
    repo, _ = pull_request(tmp_path, gnupghome, "{styles: [merge, squash, rebase]}")
    repo.alice.git("checkout", "-q", "main")
    repo.commit("later.txt")  # main moves on: the pull request is behind
    repo.push("HEAD:refs/heads/main")
    main = server_refs(repo.server)["refs/heads/main"]
    pushed, _ = repo.merge("squash")
    refused(pushed, repo.server, main, f"pull request #{PR} is behind main", main[:10])
    pushed, _ = repo.merge("rebase")  # two re-created commits nobody signed
    refused(pushed, repo.server, main, "makes 2 new commits; gitward accepts one")
    pushed, merge = repo.merge("merge")  # both signed histories kept as parents
    assert pushed.ok, pushed.text
    assert server_refs(repo.server)["refs/heads/main"] == merge


@pytest.mark.parametrize("signed", [False, True])
def test_a_required_forge_signer_must_sign_the_merge(
    tmp_path: Path, gnupghome: Path, signed: bool
) -> None:
    repo, _ = pull_request(tmp_path, gnupghome, "{signer: gitea-instance}")
    main = server_refs(repo.server)["refs/heads/main"]
    pushed, merge = repo.merge(sign=signed)
    if signed:
        assert pushed.ok, pushed.text
        assert server_refs(repo.server)["refs/heads/main"] == merge
    else:
        refused(pushed, repo.server, main, "needs gitea-instance's signature: not signed")

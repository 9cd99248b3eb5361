"""Symbolic refs as the git adapter and the facts see them, in real repositories: listed apart
from ordinary refs, found when dangling (which `git for-each-ref` does not list) and through
chains, under `GIT_NAMESPACE` named as the hook is told them, and never counted as a tip that
protects commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from gwrepo import chain, git, init, set_ref, tmpdir

from gitward.deadline import Deadline
from gitward.errors import GitError
from gitward.facts.before import read_refs_before
from gitward.git.repo import Repo
from gitward.model import RefUpdate

ZERO = "0" * 40
NAMES = [
    "refs/heads/main",  # ordinary
    "refs/heads/master",  # -> main
    "refs/heads/trunk",  # -> master -> main
    "refs/heads/next",  # -> release/2.0, which does not exist
    "refs/heads/later",  # -> next -> release/2.0
    "refs/heads/absent",  # no such ref
]
EXPECTED = {
    "refs/heads/master": "refs/heads/main",
    "refs/heads/trunk": "refs/heads/main",
    "refs/heads/next": "refs/heads/release/2.0",
    "refs/heads/later": "refs/heads/release/2.0",
}


@pytest.fixture
def bare() -> Path:
    repo = init(tmpdir() / "r.git")
    set_ref(repo, "refs/heads/main", chain(repo, 1)[0])
    for name, target in [
        ("refs/heads/master", "refs/heads/main"),
        ("refs/heads/trunk", "refs/heads/master"),
        ("refs/heads/next", "refs/heads/release/2.0"),
        ("refs/heads/later", "refs/heads/next"),
    ]:
        git(repo, "symbolic-ref", name, target)
    git(repo, "pack-refs", "--all")  # main packed: symbolic refs stay loose files
    return repo


def test_refs_lists_symbolic_refs_apart_and_leaves_dangling_ones_out(bare: Path) -> None:
    with Repo(bare) as repo:
        listing = repo.refs()
        assert list(listing.tips) == ["refs/heads/main"]
        assert repo.for_each_ref() == listing.tips
    main = "refs/heads/main"
    assert listing.symbolic == {"refs/heads/master": main, "refs/heads/trunk": main}


@pytest.mark.parametrize("backend", ["files", "other"])
def test_symbolic_refs_finds_dangling_ones_and_the_end_of_chains(
    bare: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "other":  # as on a reftable repository: one `git symbolic-ref` per name
        monkeypatch.setattr(Repo, "_ref_dirs", lambda self, deadline: None)
    with Repo(bare) as repo:
        assert repo.symbolic_refs(NAMES) == EXPECTED
        assert repo.symbolic_refs([]) == {}


@pytest.mark.parametrize("backend", ["files", "other"])
def test_names_git_would_refuse_are_never_read(
    bare: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "other":
        monkeypatch.setattr(Repo, "_ref_dirs", lambda self, deadline: None)
    (bare / "evil").write_text("ref: refs/heads/main\n")  # a file outside refs/
    git(bare, "symbolic-ref", "refs/heads/out", "refs/heads/main")
    (bare / "refs" / "heads" / "out").write_text("ref: refs/../evil\n")  # by hand, not by git
    odd = ["refs/../evil", "refs/heads//main", "refs/heads/x.lock", "refs/heads/.x"]
    with Repo(bare) as repo:
        assert repo.symbolic_refs(odd) == {}
        if backend == "files":  # the chain stops before the odd name: still an alias
            assert repo.symbolic_refs(["refs/heads/out"]) == {"refs/heads/out": "refs/../evil"}


def test_a_ref_file_that_cannot_be_read_fails_closed(bare: Path) -> None:
    # Not "no such ref": answering "not symbolic" here would let an update through an alias pass.
    (bare / "refs" / "heads" / "loop").symlink_to("loop")
    with Repo(bare) as repo, pytest.raises(GitError, match="cannot read ref refs/heads/loop"):
        repo.symbolic_refs(["refs/heads/loop"])


def test_a_git_namespace_names_refs_as_the_hook_is_told_them(bare: Path) -> None:
    inside = "refs/namespaces/a/refs/namespaces/b/refs/heads"
    set_ref(bare, f"{inside}/main", chain(bare, 1, prefix="ns")[0])
    git(bare, "symbolic-ref", f"{inside}/master", f"{inside}/main")
    git(bare, "symbolic-ref", f"{inside}/next", f"{inside}/release/2.0")
    with Repo(bare, {"GIT_NAMESPACE": "/a//b"}) as repo:
        assert repo.ref_namespace() == "refs/namespaces/a/refs/namespaces/b/"
        listing = repo.refs()
        assert list(listing.tips) == ["refs/heads/main"]
        assert listing.symbolic == {"refs/heads/master": "refs/heads/main"}
        found = repo.symbolic_refs(["refs/heads/next", "refs/heads/later"])
    # `later` is an alias outside the namespace: not the ref this push names
    assert found == {"refs/heads/next": "refs/heads/release/2.0"}


def test_refs_before_leave_symbolic_refs_out_of_the_tips(bare: Path) -> None:
    updates = [RefUpdate(ZERO, "1" * 40, name) for name in NAMES]
    with Repo(bare) as repo:
        before = read_refs_before(repo, updates, Deadline(30))
    assert list(before.tips) == ["refs/heads/main"]
    assert dict(before.symbolic) == EXPECTED

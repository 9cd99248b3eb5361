"""The paths protected-path checks read from git: each commit's change against its first
parent (deletions and a merge's whole change included) and an update's change between tips."""

from __future__ import annotations

from pathlib import Path

import pytest
from gwrepo import commit, git, init, write_object

from gitward.errors import GitError
from gitward.git.repo import Repo


def tree(repo: Path, files: dict[str, bytes]) -> str:
    """A tree of `files` (paths with one directory level at most)."""
    top: dict[str, str] = {}
    below: dict[str, dict[str, bytes]] = {}
    for path, data in files.items():
        folder, _, name = path.rpartition("/")
        if folder:
            below.setdefault(folder, {})[name] = data
        else:
            top[name] = f"100644 blob {write_object(repo, 'blob', data)}"
    for folder, inside in below.items():
        top[folder] = f"040000 tree {tree(repo, inside)}"
    entries = "".join(f"{entry}\t{name}\n" for name, entry in sorted(top.items()))
    return git(repo, "mktree", input=entries.encode())


def test_first_parent_paths_hold_deletions_and_a_merges_whole_change(tmp_path: Path) -> None:
    repo = init(tmp_path / "r.git")
    hexname = "a" * 40  # a file named like a commit id is still a path
    root = commit(repo, "root", tree=tree(repo, {"prod/np.yaml": b"deny\n", "README": b"a\n"}))
    side = commit(repo, "side", [root], tree=tree(repo, {"README": b"a\n", hexname: b"x\n"}))
    main = commit(
        repo, "main", [root], tree=tree(repo, {"prod/np.yaml": b"deny\n", "README": b"b\n"})
    )
    # The merge keeps side's tree: it deletes prod/np.yaml and undoes main's README.
    merge = commit(
        repo, "merge", [main, side], tree=tree(repo, {"README": b"a\n", hexname: b"x\n"})
    )
    blob = {data: write_object(repo, "blob", data) for data in (b"a\n", b"b\n", b"x\n", b"deny\n")}
    with Repo(repo, {"GIT_DIR": str(repo)}) as r:
        found = r.first_parent_paths({root: None, side: root, merge: main})
        assert found == {
            root: {"README": blob[b"a\n"], "prod/np.yaml": blob[b"deny\n"]},
            side: {hexname: blob[b"x\n"], "prod/np.yaml": ""},
            merge: {"README": blob[b"a\n"], hexname: blob[b"x\n"], "prod/np.yaml": ""},
        }
        assert r.first_parent_paths({}) == {}
        assert r.changed_paths(main, merge) == found[merge]
        assert r.changed_paths(side, merge) == {}
        with pytest.raises(GitError):
            r.changed_paths("--output=/tmp/x", merge)
        with pytest.raises(GitError):
            r.first_parent_paths({"f" * 40: None})

"""Content facts from real repositories: what each commit brings (diff-tree -c), the tip's tree,
blobs read up to a size, binary ones told apart, YAML parsed for checks that ask, and the
exclusion semantics of the commit families."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import pytest
from gwrepo import git, init

from gitward.config import gitleaks
from gitward.deadline import Deadline
from gitward.errors import BudgetExceeded, GitError
from gitward.facts import content as facts_content
from gitward.facts.before import RefsBefore
from gitward.facts.gather import gather
from gitward.git.repo import Repo
from gitward.model import GITLINK_MODE, SYMLINK_MODE, Push, Pusher, RefUpdate, Unreadable
from gitward.policy import content
from gitward.policy.content.scope import ContentCheck, Needs
from gitward.policy.spec import (
    ContentData,
    ContentRule,
    FilesCheck,
    Policy,
    Rule,
    SecretsCheck,
)
from gitward.signing import Keyring

ZERO = "0" * 40


class Loaded(NamedTuple):
    policy: Policy
    keyring: Keyring = Keyring.from_certs([])


def rule(content_rule: ContentRule, refs: tuple[str, ...] = ("refs/heads/main",)) -> Policy:
    data = ContentData(MappingProxyType({"gitleaks": gitleaks.load()}))
    return Policy((Rule("gate", refs, content=content_rule),), content_data=data)


SECRETS = rule(ContentRule(secrets=SecretsCheck(max_bytes=64)))
FILES = rule(ContentRule(files=FilesCheck(case_collisions=True)))


def commit_files(work: Path, message: str, files: dict[str, str | bytes | None]) -> str:
    """Write (None: delete) `files` in the work tree and commit them; returns the commit."""
    for name, value in files.items():
        path = work / name
        if value is None:
            git(work, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value.encode() if isinstance(value, str) else value)
        git(work, "add", name)
    git(work, "commit", "-q", "--allow-empty", "-m", message)
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return init(tmp_path / "work", bare=False)


def push_of(repo: Path, policy: Policy, new: str, ref: str = "refs/heads/main",
            tips: dict[str, str] | None = None, old: str = ZERO) -> Push:  # fmt: skip
    with Repo(repo) as r:
        return gather(r, [RefUpdate(old, new, ref)], RefsBefore(tips or {}), Loaded(policy),
                      Pusher("alice", "local"), (), datetime.now(UTC),
                      Deadline.unlimited())  # fmt: skip


def test_each_commit_brings_its_added_and_changed_files(work: Path) -> None:
    one = commit_files(work, "one", {"a.txt": "a\n", "d/b.txt": "b\n"})
    two = commit_files(work, "two", {"a.txt": "A\n", "d/b.txt": None, "c.txt": "c\n"})
    (work / "link").symlink_to("a.txt")
    git(work, "add", "link")
    three = commit_files(work, "three", {})
    with Repo(work) as repo:
        found = repo.diff_tree([one, two, three])
    assert sorted((p, new) for p, _, _, new in found[one]) == [("a.txt", True), ("d/b.txt", True)]
    # The deletion is left out; an edit is no new name.
    assert sorted((p, new) for p, _, _, new in found[two]) == [("a.txt", False), ("c.txt", True)]
    assert [(p, m) for p, _, m, _ in found[three]] == [("link", SYMLINK_MODE)]


def test_a_merge_brings_only_what_differs_from_every_parent(work: Path) -> None:
    commit_files(work, "base", {"a": "a\n"})
    git(work, "checkout", "-q", "-b", "side")
    side = commit_files(work, "side", {"s": "s\n"})
    git(work, "checkout", "-q", "main")
    commit_files(work, "main", {"m": "m\n"})
    git(work, "merge", "-q", "--no-ff", "--no-commit", "side")
    (work / "evil").write_text("evil\n")
    git(work, "add", "evil")
    git(work, "commit", "-q", "-m", "merge")
    merge = git(work, "rev-parse", "HEAD")
    with Repo(work) as repo:
        found = repo.diff_tree([merge, side])
    assert [p for p, *_ in found[merge]] == ["evil"]
    assert [p for p, *_ in found[side]] == ["s"]


def test_empty_input_and_odd_output_of_diff_tree(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = commit_files(work, "one", {"a": "a\n"})
    with Repo(work) as repo:
        assert repo.diff_tree([]) == {}
        for out in (b"zzz\0", b":100644 100644 x A\0a\0", one.encode() + b"\0:1 2 3\0a\0",
                    b":000000 100644 0 1 A\0"):  # fmt: skip
            monkeypatch.setattr(repo, "_run", lambda *a, out=out, **k: _Done(out))
            with pytest.raises(GitError, match="odd line"):
                repo.diff_tree([one])


class _Done(NamedTuple):
    stdout: bytes


def test_ls_tree_lists_every_file(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = commit_files(work, "one", {"a": "a\n", "d/e/f": "f\n"})
    with Repo(work) as repo:
        assert sorted(p for p, _, _ in repo.ls_tree(one)) == ["a", "d/e/f"]
        with pytest.raises(GitError, match="not a tree"):
            repo.ls_tree("--output=x")
        monkeypatch.setattr(repo, "_run", lambda *a, **k: _Done(b"100644 blob\0"))
        with pytest.raises(GitError, match="odd line"):
            repo.ls_tree(one)


def test_blobs_are_read_up_to_a_limit_and_sized(work: Path) -> None:
    commit_files(work, "one", {"small": "s" * 10, "large": "l" * 1000})
    small = git(work, "rev-parse", "HEAD:small")
    large = git(work, "rev-parse", "HEAD:large")
    tree = git(work, "rev-parse", "HEAD^{tree}")
    with Repo(work) as repo:
        got = list(repo.read_blobs([small, large], 100))
        assert got == [(small, 10, b"s" * 10), (large, 1000, None)]
        assert repo.object_sizes([small, large]) == {small: 10, large: 1000}
        assert repo.object_sizes([]) == {}
        with pytest.raises(GitError, match="expected a blob"):
            list(repo.read_blobs([tree], 100))
        with pytest.raises(GitError, match="missing"):
            repo.object_sizes(["1" * 40])
        with pytest.raises(GitError, match="odd object names"):
            repo.object_sizes(["a b"])
        # The cat-file process is still usable after an interrupted read.
        assert list(repo.read_blobs([small], 100)) == [(small, 10, b"s" * 10)]


def test_gather_reads_what_the_checks_need(work: Path) -> None:
    tip = commit_files(work, "one", {"t.txt": "text\n", "b.bin": b"\0bin", "big": "x" * 100,
                                     "README": "r", "readme": "r2"})  # fmt: skip
    push = push_of(work, SECRETS, tip)
    blobs = {b.oid: b for b in push.blobs.values()}
    by_path = {c.path: blobs[c.oid] for c in push.changes[tip]}
    assert by_path["t.txt"].data == b"text\n"
    assert by_path["b.bin"].skipped == "binary"
    assert by_path["big"].skipped == "larger than 64 bytes" and by_path["big"].size == 100
    assert push.refs[0].tip_files is None  # the secrets check needs no tree
    files = push_of(work, FILES, tip)
    assert all(b.data is None and not b.skipped for b in files.blobs.values())  # sizes only
    assert files.refs[0].tip_files is not None
    assert sorted(files.refs[0].tip_files) == ["README", "b.bin", "big", "readme", "t.txt"]
    # An edit brings no new name: no collision can be new, the tree is not read.
    edit = commit_files(work, "edit", {"t.txt": "more text\n"})
    edited = push_of(work, FILES, edit, tips={"refs/heads/main": tip}, old=tip)
    assert edited.refs[0].tip_files is None


def test_content_follows_the_exclusion_semantics(work: Path) -> None:
    old = commit_files(work, "old", {"old.txt": "old\n"})
    new = commit_files(work, "new", {"new.txt": "new\n"})
    # main already holds `old`: only `new` is checked.
    push = push_of(work, SECRETS, new, tips={"refs/heads/main": old}, old=old)
    assert list(push.changes) == [new]
    # Parked on an unprotected branch, `old` still counts as new for main.
    parked = push_of(work, SECRETS, new, tips={"refs/heads/parked": old})
    assert sorted(parked.changes) == sorted([old, new])
    # No content rule on the ref: nothing read.
    other = push_of(work, SECRETS, new, ref="refs/heads/topic")
    assert (other.changes, other.blobs) == ({}, {})


def test_submodules_are_not_read(work: Path) -> None:
    sub = commit_files(work, "sub", {"x": "x"})
    git(work, "update-index", "--add", "--cacheinfo", f"{GITLINK_MODE},{sub},vendor/lib")
    tip = commit_files(work, "with submodule", {})
    push = push_of(work, SECRETS, tip, tips={"refs/heads/main": sub}, old=sub)
    assert [c.mode for c in push.changes[tip]] == [GITLINK_MODE]
    assert push.blobs == {}


def test_yaml_is_parsed_for_checks_that_ask(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asking = ContentCheck(lambda _: Needs(content_bytes=1000, yaml=True), lambda *_: iter(()))
    monkeypatch.setitem(content.CHECKS, "files", asking)
    files = {"deploy/a.yaml": "kind: Secret\n---\nb: 1\n", "deploy/bad.yml": "a: [\n"}
    tip = commit_files(work, "one", {**files, "notes.txt": "a: 1\n", "c.json": '{"c": 1}'})
    push = push_of(work, FILES, tip)
    docs = {c.path: push.documents[c.path, c.oid] for c in push.changes[tip]}
    assert docs["deploy/a.yaml"] == ({"kind": "Secret"}, {"b": 1})
    assert docs["c.json"] == ({"c": 1},)
    bad = docs["deploy/bad.yml"]
    assert isinstance(bad, Unreadable) and bad.reason.startswith("not valid YAML: line 2")
    assert docs["notes.txt"] is None  # read, and no manifest


def test_too_much_new_text_is_refused_whole(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tip = commit_files(work, "one", {"a": "a" * 40, "b": "b" * 40})
    monkeypatch.setattr(facts_content, "MAX_CONTENT", 50)
    with pytest.raises(BudgetExceeded, match="more than 0 MiB of new text"):
        push_of(work, SECRETS, tip)


def test_unused_needs_gather_nothing(work: Path) -> None:
    tip = commit_files(work, "one", {"a": "a"})
    with Repo(work) as repo:
        assert facts_content.gather_content(repo, [], Deadline.unlimited()) == (
            facts_content.ContentFacts()
        )
    assert push_of(work, rule(ContentRule()), tip).changes == {}


def test_only_selected_text_yaml_is_parsed(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asking = ContentCheck(lambda _: Needs(content_bytes=1000, yaml=True), lambda *_: iter(()))
    monkeypatch.setitem(content.CHECKS, "files", asking)
    tip = commit_files(work, "one", {"deploy/a.yaml": "a: 1\n", "deploy/b.yaml": b"\0x",
                                     "other/c.yaml": "c: 1\n"})  # fmt: skip
    selected = rule(ContentRule(paths=("deploy/",), files=FilesCheck()))
    push = push_of(work, selected, tip)
    assert sorted(c.path for c in push.changes[tip]) == [
        "deploy/a.yaml", "deploy/b.yaml", "other/c.yaml",
    ]  # fmt: skip
    docs = {path: found for (path, _), found in push.documents.items()}
    assert docs == {"deploy/a.yaml": ({"a": 1},), "deploy/b.yaml": Unreadable("binary")}
    # c.yaml is not selected; b.yaml is binary: no YAML, nothing kubectl would apply
    assert len(push.blobs) == 2


def test_the_old_tree_is_read_only_for_a_rule_that_judges_a_file(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the example config: one rule reads every manifest, another (a Rego rule) judges those
    # under clusters/ against the old tree. A push that changes none of those reads no old tree.
    reads = ContentCheck(lambda _: Needs(content_bytes=1000, yaml=True), lambda *_: iter(()))
    judges = ContentCheck(
        lambda _: Needs(content_bytes=1000, yaml=True, before_tree=True), lambda *_: iter(())
    )
    monkeypatch.setitem(content.CHECKS, "files", reads)
    monkeypatch.setitem(content.CHECKS, "secrets", judges)
    data = ContentData(MappingProxyType({"gitleaks": gitleaks.load()}))
    policy = Policy(
        (
            Rule("all", ("refs/heads/main",), content=ContentRule(files=FilesCheck())),
            Rule("gitops", ("refs/heads/main",),
                 content=ContentRule(paths=("clusters/",), secrets=SecretsCheck())),
        ),
        content_data=data,
    )  # fmt: skip
    old = commit_files(work, "old", {"deploy/app.yaml": "a: 1\n", "clusters/app.yaml": "c: 1\n"})
    deploy = commit_files(work, "deploy", {"deploy/app.yaml": "a: 2\n"})
    push = push_of(work, policy, deploy, tips={"refs/heads/main": old}, old=old)
    assert push.documents  # deploy/app.yaml was read for the first rule
    assert push.refs[0].before_files is None
    clusters = commit_files(work, "clusters", {"clusters/app.yaml": "c: 2\n"})
    push = push_of(work, policy, clusters, tips={"refs/heads/main": deploy}, old=deploy)
    assert push.refs[0].before_files is not None
    assert sorted(push.refs[0].before_files) == ["clusters/app.yaml", "deploy/app.yaml"]


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("kind: Secret\n".encode("utf-16-le"), None),  # no mark: nothing says how to read it
        ("kind: Secret\n".encode("utf-16"), b"kind: Secret\n"),
        (b"\xfe\xff" + "kind: Secret\n".encode("utf-16-be"), b"kind: Secret\n"),
        (b"\xff\xfe\x00\xd8", None),  # a lone surrogate: not UTF-16
        (b"\xff\xfeA\x00\x00\x00", None),  # a NUL character: binary after all
        (b"\x00\x01binary", None),
    ],
)
def test_utf16_text_with_its_mark_is_read_as_utf8(data: bytes, text: bytes | None) -> None:
    assert facts_content._utf16(data) == text

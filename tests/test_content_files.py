"""The files check through the pure engine: sizes, forbidden paths and extensions, symbolic
links that leave the repository, paths that differ only in case; and its fix-it hints."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from gwcontent import Content, commit_id, content_push

from gitward.errors import GitError
from gitward.model import GITLINK_MODE, SYMLINK_MODE, Violation
from gitward.policy.content.files import _outside
from gitward.policy.engine import evaluate
from gitward.policy.spec import ContentRule, FilesCheck, Policy, Rule, Signers

GATE = FilesCheck(
    max_bytes=100,
    forbidden_paths=("id_rsa*", ".env", "**/kubeconfig", "!examples/.env"),
    forbidden_extensions=("PEM", ".p12"),
    symlinks_outside=True,
    case_collisions=True,
)


def policy(check: FilesCheck = GATE) -> Policy:
    return Policy((Rule("gate", ("refs/heads/**",), content=ContentRule(files=check)),))


def found(
    *commits: Mapping[str, Content],
    check: FilesCheck = GATE,
    tip: Mapping[str, Content] | None = None,
) -> list[Violation]:
    p = policy(check)
    return list(evaluate(p, Signers(), content_push(p, commits, tip=tip)).violations)


def checks(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.rule_id.split("/")[1], v.message) for v in violations]


def test_ordinary_files_pass() -> None:
    assert found({"README.md": b"hi\n", "src/app.py": b"print(1)\n"}) == []


def test_a_large_file_is_refused() -> None:
    (v,) = found({"dump.sql": b"x" * 101})
    assert checks([v]) == [("file-size", "dump.sql is 101 bytes (at most 100)")]
    assert v.hint == (
        "run `git rm --cached -- dump.sql`, then run `git commit -a --amend --no-edit` "
        "and push again"
    )


@pytest.mark.parametrize(
    "path",
    ["id_rsa", "home/.ssh/id_rsa.pub", ".env", "app/.env", "ops/kubeconfig", "tls.PEM",
     "certs/client.p12"],
)  # fmt: skip
def test_forbidden_paths_and_extensions_are_refused(path: str) -> None:
    assert checks(found({path: b"k"})) == [("forbidden-file", f"{path} may not be committed here")]


@pytest.mark.parametrize("path", ["examples/.env", "docs/pem.md", ".pem-notes", "app/.env.example"])
def test_lookalikes_and_reincluded_paths_pass(path: str) -> None:
    assert found({path: b"k"}) == []


def test_an_older_commit_gets_a_rebase_hint_with_a_quoted_path() -> None:
    (v,) = found({"my key.pem": b"k"}, {"README": b"x"})
    assert v.oid == commit_id(0)
    assert v.hint.startswith("run `git rebase -i --root`, mark 0000000000 'edit'; ")
    assert "`git rm --cached -- 'my key.pem'`" in v.hint


@pytest.mark.parametrize(
    ("path", "target", "outside"),
    [
        ("a", "b", False),
        ("dir/a", "../b", False),
        ("dir/a", "../../b", True),
        ("a", "/etc/passwd", True),
        ("a", "../x", True),
        ("dir/a", "../.git/config", True),
        ("a", ".GIT/hooks", True),
        ("a", "", True),
        ("a", "x/../../y", True),
        ("a/b/c", "../../d/e", False),
    ],
)
def test_where_a_symbolic_link_points(path: str, target: str, outside: bool) -> None:
    assert _outside(path, target) is outside


def test_a_symbolic_link_outside_is_refused_and_one_inside_passes() -> None:
    (v,) = found({"etc": (SYMLINK_MODE, b"/etc"), "docs/latest": (SYMLINK_MODE, b"v2")})
    assert checks([v]) == [
        ("symlink-outside", "symbolic link etc points outside the repository (to /etc)")
    ]
    without = FilesCheck(symlinks_outside=False)
    assert found({"etc": (SYMLINK_MODE, b"/etc")}, check=without) == []


def test_submodules_are_left_alone() -> None:
    assert found({"vendor/lib": (GITLINK_MODE, b"")}) == []


def test_case_collisions_at_the_tip_that_the_push_brings() -> None:
    tip = {"README.md": b"a", "readme.md": b"b", "Docs/a": b"c", "docs/b": b"d", "old/X": b"",
           "old/x": b""}  # fmt: skip
    listed = found({"readme.md": b"b", "docs/b": b"d"}, tip=tip)
    assert sorted(checks(listed)) == [
        ("case-collision", "paths differ only in case: Docs, docs (one file on macOS and Windows)"),
        (
            "case-collision",
            "paths differ only in case: README.md, readme.md (one file on macOS and Windows)",
        ),
    ]
    assert {v.oid for v in listed} == {commit_id(0)}
    assert listed[0].hint.startswith("remove or rename all but one of ")


def test_only_a_new_name_can_collide() -> None:
    p = policy()
    push = content_push(p, [{"readme.md": b"b"}], tip={"README.md": b"a", "readme.md": b"b"})
    edited = {c: tuple(f._replace(added=False) for f in fs) for c, fs in push.changes.items()}
    no_tree = push.refs[0]._replace(tip_files=None)  # the facts do not read it for edits
    assert evaluate(p, Signers(), push._replace(changes=edited, refs=(no_tree,))).violations == ()


def test_unicode_forms_collide_too() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    listed = found({composed: b"a"}, tip={composed: b"a", decomposed: b"b"})
    assert [v.rule_id for v in listed] == ["gate/case-collision"]


def test_without_the_tip_tree_the_check_fails_closed() -> None:
    p = policy()
    push = content_push(p, [{"a": b"x"}])
    with pytest.raises(GitError, match="tree of refs/heads/main was not read"):
        evaluate(p, Signers(), push._replace(refs=(push.refs[0]._replace(tip_files=None),)))


def test_hints_start_with_what_to_do_and_fit_the_report() -> None:
    listed = found({"id_rsa": b"k", "big": b"x" * 200, "l": (SYMLINK_MODE, b"/")}, {"b": b""})
    for v in listed:
        assert re.match(r"(run|remove|ask) ", v.hint), v.hint
        assert all(len(part) <= 240 for part in v.hint.split("; "))
        assert v.hint.count("`") % 2 == 0

"""The reading requests gitward builds (statuses, pull requests, branches) are operations the
forges describe, with query parameters they declare; and what GitHub's subset lacks is named."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import gwapi
import gwforge
import pytest

from gitward.forges import gitea, github
from gitward.forges.status import Head, Posted, Request

SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
SHA2 = "b" * 40

BUILDERS: list[tuple[str, Callable[[ModuleType], Request]]] = [
    ("combined status", lambda forge: forge.combined_status_request("acme/app", SHA, 3)),
    ("open pulls", lambda forge: forge.open_pulls_request("acme/app", 2)),
    ("one pull", lambda forge: forge.pull_head_request("acme/app", 7)),
    ("branches", lambda forge: forge.branches_request("acme/app", 4)),
    ("one branch", lambda forge: forge.branch_head_request("acme/app", "feature/x?y#z")),
]
IDS = [name for name, _ in BUILDERS]
# In GitHub's REST API but not in the subset the fixtures hold: checked by hand against
# https://docs.github.com/en/rest (pulls/list, pulls/get, repos/list-branches).
GITHUB_UNDESCRIBED = {"open pulls", "one pull", "branches"}


@pytest.mark.parametrize(("what", "build"), BUILDERS, ids=IDS)
def test_giteas_requests_are_in_its_swagger(
    what: str, build: Callable[[ModuleType], Request]
) -> None:
    request = build(gitea)
    gwapi.check(gwapi.GITEA, request.method, request.path, request.json)
    gwforge.check_query(gwapi.GITEA, request.method, request.path)


@pytest.mark.parametrize(("what", "build"), BUILDERS, ids=IDS)
def test_githubs_requests_are_in_its_openapi_or_named_as_missing(
    what: str, build: Callable[[ModuleType], Request]
) -> None:
    request = build(github)
    found = gwforge.operation(gwapi.GITHUB, request.method, request.path)
    if what in GITHUB_UNDESCRIBED:
        assert found is None, f"{what} is described now: check it like the others"
        return
    gwapi.check(gwapi.GITHUB, request.method, request.path, request.json)
    gwforge.check_query(gwapi.GITHUB, request.method, request.path)


def test_a_branch_name_is_one_path_segment() -> None:
    assert github.branch_head_request("a/b", "feature/x").path == (
        "/repos/a/b/commits/heads%2Ffeature%2Fx?per_page=1"
    )
    assert (
        gitea.branch_head_request("a/b", "fix/a?b#c").path == "/repos/a/b/branches/fix%2Fa%3Fb%23c"
    )


def test_pages_ask_for_as_many_items_as_each_forge_gives() -> None:
    assert "per_page=100&page=2" in github.branches_request("a/b", 2).path
    assert "page=2&limit=50" in gitea.branches_request("a/b", 2).path


def test_the_newest_status_of_our_context_is_read_in_each_forges_spelling() -> None:
    answer = {
        "statuses": [
            {"context": "ci", "state": "failure"},
            {"context": "gitward", "state": "success", "description": "ok"},
        ]
    }
    assert github.posted(answer, "gitward") == Posted("success", "ok")
    assert github.posted(answer, "other") is None
    gitea_answer = {"statuses": [{"context": "gitward", "status": "warning", "description": "w"}]}
    assert gitea.posted(gitea_answer, "gitward") == Posted("warning", "w")
    assert github.posted({"statuses": None}, "gitward") is None
    assert github.posted([], "gitward") is None


def pr(number: object, sha: object, base: object) -> dict[str, object]:
    return {"number": number, "head": {"sha": sha, "ref": "topic"}, "base": {"ref": base}}


def test_pull_requests_that_do_not_parse_are_left_out() -> None:
    answer = [
        pr(1, SHA, "main"),
        pr(2, "not-a-sha", "main"),
        pr(3, SHA, "../../etc"),
        pr(True, SHA, "main"),
        pr(4, SHA2, "release/1.x"),
        "junk",
    ]
    assert github.pull_heads(answer) == [
        Head("refs/heads/main", SHA, 1),
        Head("refs/heads/release/1.x", SHA2, 4),
    ]
    assert gitea.pull_heads({"not": "a list"}) == []
    assert github.pull_head(pr(5, SHA, "main")) == Head("refs/heads/main", SHA, 5)
    assert github.pull_head(None) is None


def test_branch_tips_are_read_where_each_forge_puts_them() -> None:
    assert github.branch_heads([{"name": "main", "commit": {"sha": SHA}}]) == [
        Head("refs/heads/main", SHA)
    ]
    assert gitea.branch_heads([{"name": "main", "commit": {"id": SHA}}, {"name": 7}, "x"]) == [
        Head("refs/heads/main", SHA)
    ]
    assert github.branch_head({"sha": SHA}, "a/b") == Head("refs/heads/a/b", SHA)
    assert github.branch_head({"sha": "nope"}, "main") is None
    assert gitea.branch_head({"name": "main", "commit": {"id": SHA}}, "main") == Head(
        "refs/heads/main", SHA
    )
    assert gitea.branch_head({"name": "other", "commit": {"id": SHA}}, "main") is None

"""Commit statuses as gitward posts them: forge-neutral values and their fixed wording. PURE."""

from __future__ import annotations

from typing import Literal, NamedTuple

from gitward.report.sanitize import clean

State = Literal["pending", "success", "failure", "error", "warning"]
# GitHub caps a status description at 140 characters (and Gitea shows about as much).
DESCRIPTION_MAX = 140


class CommitStatus(NamedTuple):
    state: State
    description: str
    context: str = "gitward"
    target_url: str | None = None


class Request(NamedTuple):
    """One REST call, before any HTTP library sees it: what tests check against the forge's
    own API description."""

    method: str
    path: str  # below the configured api_url, starting with "/"
    json: dict[str, object] | None = None


def describe(text: str) -> str:
    """A description that fits every forge: sanitised (no control or bidi characters reach the
    forge's UI) and cut to `DESCRIPTION_MAX` characters."""
    return clean(text, DESCRIPTION_MAX)


def pending() -> str:
    return describe("gitward is checking the commits")


def success(commits: int, warnings: int) -> str:
    found = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    return describe(f"{commits} commit{'s' if commits != 1 else ''} checked: all rules pass{found}")


def failure(first: str, total: int) -> str:
    more = f" (+{total - 1} more)" if total > 1 else ""
    return describe(f"{first}{more}")


def error(reason: str) -> str:
    return describe(f"gitward could not judge: {reason}")


def status_request(repository: str, sha: str, status: CommitStatus, state: str) -> Request:
    """`POST /repos/{owner}/{repo}/statuses/{sha}`: the same call on GitHub and Gitea; `state`
    is the forge's spelling of `status.state`."""
    body: dict[str, object] = {
        "state": state,
        "description": status.description,
        "context": status.context,
    }
    if status.target_url:
        body["target_url"] = status.target_url
    return Request("POST", f"/repos/{repository}/statuses/{sha}", body)


# What the forges answer, read back into values: the sweep and `gitward recheck` need to know
# which commits should carry a status and whether one is already there.


class Posted(NamedTuple):
    """The newest status a commit carries for one context, as the forge spells its state (so
    it compares with what `status_request` would send)."""

    state: str
    description: str


class Head(NamedTuple):
    """A commit that should carry gitward's status: a branch's tip (`ref` the branch), or a
    pull request's head judged against its base branch (`number` set, `ref` the base)."""

    ref: str  # refs/heads/<name>
    sha: str
    number: int | None = None

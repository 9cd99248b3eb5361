"""Gitea and Forgejo: webhook deliveries and REST requests. PURE.

Gitea's payloads follow GitHub's shapes for push and pull_request (so the parsers are
shared), but it spells a new head "synchronized", sends the bare hex HMAC in
`X-Gitea-Signature` (Forgejo: `X-Forgejo-Signature`), and has a "warning" status state.
Statuses: `POST /repos/{owner}/{repo}/statuses/{sha}` (CreateStatusOption in Gitea's Swagger).
"""

from __future__ import annotations

from collections.abc import Mapping

from gitward.forges import delivery as d
from gitward.forges import github
from gitward.forges import status as forge_status
from gitward.forges.status import CommitStatus, Head, Posted, Request

TYPE = "gitea"
EVENT_HEADERS = ("X-Gitea-Event", "X-Forgejo-Event")
DELIVERY_HEADERS = ("X-Gitea-Delivery", "X-Forgejo-Delivery")
SIGNATURE_HEADERS = ("X-Gitea-Signature", "X-Forgejo-Signature")
PR_ACTIONS = frozenset({"opened", "reopened", "synchronized"})
# Gitea answers at most [api] MAX_RESPONSE_ITEMS (50 by default) items a page, whatever `limit`
# asks for; asking for exactly that keeps "a short page is the last page" true.
PAGE_SIZE = 50


def parse(forge: str, event: str, payload: Mapping[str, object], delivery_id: str) -> d.Outcome:
    if event == "push":
        return github.push(forge, payload, delivery_id)
    if event == "pull_request":
        return github.pull_request(forge, payload, delivery_id, PR_ACTIONS)
    return d.Ignored(f"event {event!r} is not judged")


def status_request(repository: str, sha: str, status: CommitStatus) -> Request:
    return forge_status.status_request(repository, sha, status, status.state)


def statuses_request(repository: str, sha: str) -> Request:
    return Request("GET", f"/repos/{repository}/commits/{sha}/statuses")


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    """The first non-empty of `names`; `headers` have lower-case names."""
    for name in names:
        value = headers.get(name.lower())
        if value:
            return value
    return None


def signature_header(headers: Mapping[str, str]) -> tuple[str | None, str]:
    return _first(headers, SIGNATURE_HEADERS), ""


def event_of(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    return _first(headers, EVENT_HEADERS), _first(headers, DELIVERY_HEADERS)


# Talking to the REST API: every operation below is in Gitea's Swagger description. Answers have
# GitHub's shapes except where noted.


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}", "Accept": "application/json"}


def combined_status_request(repository: str, sha: str, page: int = 1) -> Request:
    """The newest status of every context on a commit (repoGetCombinedStatusByRef)."""
    return Request("GET", f"/repos/{repository}/commits/{sha}/status?page={page}&limit={PAGE_SIZE}")


def posted(payload: object, context: str) -> Posted | None:
    """Gitea names a status's state `status` (CommitStatus in its Swagger)."""
    return github.posted(payload, context, field="status")


def statuses_in(payload: object) -> int:
    return github.statuses_in(payload)


def open_pulls_request(repository: str, page: int = 1) -> Request:
    """Open pull requests, the most recently updated first (repoListPullRequests)."""
    query = f"state=open&sort=recentupdate&page={page}&limit={PAGE_SIZE}"
    return Request("GET", f"/repos/{repository}/pulls?{query}")


def pull_head_request(repository: str, number: int) -> Request:
    """One pull request (repoGetPullRequest)."""
    return Request("GET", f"/repos/{repository}/pulls/{number}")


def branches_request(repository: str, page: int = 1) -> Request:
    """The repository's branches and their tips (repoListBranches)."""
    return Request("GET", f"/repos/{repository}/branches?page={page}&limit={PAGE_SIZE}")


def branch_head_request(repository: str, branch: str) -> Request:
    """One branch (repoGetBranch)."""
    return Request("GET", f"/repos/{repository}/branches/{github.segment(branch)}")


def pull_head(payload: object) -> Head | None:
    return github.pull_head(payload)


def pull_heads(payload: object) -> list[Head]:
    return github.pull_heads(payload)


def branch_heads(payload: object) -> list[Head]:
    """Gitea's Branch names its tip `commit.id` (PayloadCommit), not `commit.sha`."""
    return github.branch_heads(payload, sha_key="id")


def branch_head(payload: object, branch: str) -> Head | None:
    """The tip in a repoGetBranch answer."""
    heads = branch_heads([payload])
    if not heads or heads[0].ref != f"refs/heads/{branch}":
        return None
    return heads[0]

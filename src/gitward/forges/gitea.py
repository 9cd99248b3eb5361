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
from gitward.forges.status import CommitStatus, Request

TYPE = "gitea"
EVENT_HEADERS = ("X-Gitea-Event", "X-Forgejo-Event")
DELIVERY_HEADERS = ("X-Gitea-Delivery", "X-Forgejo-Delivery")
SIGNATURE_HEADERS = ("X-Gitea-Signature", "X-Forgejo-Signature")
PR_ACTIONS = frozenset({"opened", "reopened", "synchronized"})


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

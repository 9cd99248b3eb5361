"""GitHub (github.com and GitHub Enterprise Server): webhook deliveries and REST requests. PURE.

Deliveries: https://docs.github.com/en/webhooks/webhook-events-and-payloads. Statuses:
`POST /repos/{owner}/{repo}/statuses/{sha}` (repos/create-commit-status); GitHub has no
"warning" state, so warn-mode findings post `success` and say so in the description.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitward.forges import delivery as d
from gitward.forges import status as forge_status
from gitward.forges.status import CommitStatus, Request

TYPE = "github"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"
SIGNATURE_HEADERS = ("X-Hub-Signature-256",)
SIGNATURE_PREFIX = "sha256="
PR_ACTIONS = frozenset({"opened", "reopened", "synchronize"})


def parse(forge: str, event: str, payload: Mapping[str, object], delivery_id: str) -> d.Outcome:
    """What the delivery asks for; `DeliveryError(400)` when the body does not have the shape
    its event header announces."""
    if event == "ping":
        if "hook_id" not in payload and "zen" not in payload:
            raise d.DeliveryError(400, "a ping without hook_id or zen")
        return d.Ping()
    if event == "push":
        return push(forge, payload, delivery_id)
    if event == "pull_request":
        return pull_request(forge, payload, delivery_id, PR_ACTIONS)
    if event in ("check_run", "check_suite"):
        return rerequested(forge, event, payload, delivery_id)
    return d.Ignored(f"event {event!r} is not judged")


def push(forge: str, payload: Mapping[str, object], delivery_id: str) -> d.Outcome:
    """A push event (the same shape on Gitea)."""
    repository = d.repository(payload)
    ref, before, after = d.text(payload, "ref"), d.oid(payload, "before"), d.oid(payload, "after")
    if not ref.startswith(("refs/heads/", "refs/tags/")):
        return d.Ignored("a push outside branches and tags")
    ref = d.ref(ref, "ref")
    return d.Job(forge, repository, "push", ref, before, after, None, delivery_id, d.actor(payload))


def pull_request(
    forge: str, payload: Mapping[str, object], delivery_id: str, actions: frozenset[str]
) -> d.Outcome:
    """A pull_request event (the same shape on Gitea, whose "synchronize" is "synchronized")."""
    repository = d.repository(payload)
    action = d.text(payload, "action")
    pr = d.obj(payload, "pull_request")
    if action == "edited":
        changes = payload.get("changes")
        if not (isinstance(changes, Mapping) and "base" in changes):
            return d.Ignored("a pull request edit that keeps its base")
    elif action not in actions:
        return d.Ignored(f"pull request action {action!r} is not judged")
    base, head = d.obj(pr, "base"), d.obj(pr, "head")
    ref = d.branch(d.text(base, "ref"), "pull_request.base.ref")
    number = d.number(payload, "number")
    return d.Job(
        forge, repository, "pull_request", ref, "", d.oid(head, "sha"), number, delivery_id
    )


def rerequested(
    forge: str, event: str, payload: Mapping[str, object], delivery_id: str
) -> d.Outcome:
    """A "Re-run" click on a check run or suite (GitHub App mode): judge its head again, as
    the pull request it belongs to when there is one, else as the branch's push."""
    repository = d.repository(payload)
    if d.text(payload, "action") != "rerequested":
        return d.Ignored(f"{event} action is not rerequested")
    run = d.obj(payload, event)
    head = d.oid(run, "head_sha")
    prs = run.get("pull_requests")
    if isinstance(prs, list) and prs and isinstance(prs[0], Mapping):
        base = d.branch(d.text(d.obj(prs[0], "base"), "ref"), f"{event}.pull_requests.base.ref")
        number = d.number(prs[0], "number")
        return d.Job(forge, repository, "pull_request", base, "", head, number, delivery_id)
    suite = d.obj(run, "check_suite") if event == "check_run" else run
    branch = suite.get("head_branch")
    if not isinstance(branch, str):
        return d.Ignored(f"{event} names no branch or pull request")
    ref = d.branch(branch, f"{event}.head_branch")
    return d.Job(forge, repository, "push", ref, "0" * len(head), head, None, delivery_id)


def status_request(repository: str, sha: str, status: CommitStatus) -> Request:
    github_state = "success" if status.state == "warning" else status.state
    return forge_status.status_request(repository, sha, status, github_state)


def statuses_request(repository: str, sha: str) -> Request:
    """The statuses already on a commit (for "post only when it changes" and the sweep)."""
    return Request("GET", f"/repos/{repository}/commits/{sha}/statuses")


def signature_header(headers: Mapping[str, str]) -> tuple[str | None, str]:
    """(the signature header's value, its prefix); `headers` have lower-case names."""
    return headers.get(SIGNATURE_HEADERS[0].lower()), SIGNATURE_PREFIX


def event_of(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(event, delivery id); `headers` have lower-case names."""
    return headers.get(EVENT_HEADER.lower()), headers.get(DELIVERY_HEADER.lower())

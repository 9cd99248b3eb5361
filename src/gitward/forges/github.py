"""GitHub (github.com and GitHub Enterprise Server): webhook deliveries and REST requests. PURE.

Deliveries: https://docs.github.com/en/webhooks/webhook-events-and-payloads. Statuses:
`POST /repos/{owner}/{repo}/statuses/{sha}` (repos/create-commit-status); GitHub has no
"warning" state, so warn-mode findings post `success` and say so in the description.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from gitward.forges import delivery as d
from gitward.forges import status as forge_status
from gitward.forges.status import CommitStatus, Head, Posted, Request
from gitward.model import is_hex_oid

TYPE = "github"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"
SIGNATURE_HEADERS = ("X-Hub-Signature-256",)
SIGNATURE_PREFIX = "sha256="
PR_ACTIONS = frozenset({"opened", "reopened", "synchronize"})
# The most GitHub's list operations give per page (`per_page`).
PAGE_SIZE = 100
API_VERSION = "2022-11-28"


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
        return d.Job(forge, repository, "pull_request", base, "", head, number, delivery_id,
                     d.actor(payload), rerun=delivery_id or head)  # fmt: skip
    suite = d.obj(run, "check_suite") if event == "check_run" else run
    branch = suite.get("head_branch")
    if not isinstance(branch, str):
        return d.Ignored(f"{event} names no branch or pull request")
    ref = d.branch(branch, f"{event}.head_branch")
    return d.Job(forge, repository, "push", ref, "", head, None, delivery_id, d.actor(payload),
                 rerun=delivery_id or head)  # fmt: skip


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


# Talking to the REST API. The operations below are in GitHub's description (the repository's
# test fixtures hold the subset gitward uses) except pulls/list, pulls/get and
# repos/list-branches, which the subset lacks: their tests say so.


def auth_headers(token: str) -> dict[str, str]:
    """The headers every call carries (https://docs.github.com/en/rest/authentication)."""
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }


def combined_status_request(repository: str, sha: str, page: int = 1) -> Request:
    """The newest status of every context on a commit (repos/get-combined-status-for-ref)."""
    return Request(
        "GET", f"/repos/{repository}/commits/{sha}/status?per_page={PAGE_SIZE}&page={page}"
    )


def posted(payload: object, context: str, field: str = "state") -> Posted | None:
    """The status `context` has in a combined-status answer, or None (`field`: how the forge
    names a status's state)."""
    statuses = payload.get("statuses") if isinstance(payload, Mapping) else None
    for status in statuses if isinstance(statuses, list) else ():
        if isinstance(status, Mapping) and status.get("context") == context:
            state, description = status.get(field), status.get("description")
            return Posted(str(state or ""), str(description or ""))
    return None


def statuses_in(payload: object) -> int:
    """How many statuses one page of a combined-status answer held (for paging)."""
    statuses = payload.get("statuses") if isinstance(payload, Mapping) else None
    return len(statuses) if isinstance(statuses, list) else 0


def open_pulls_request(repository: str, page: int = 1) -> Request:
    """Open pull requests, the most recently updated first (pulls/list)."""
    query = f"state=open&sort=updated&direction=desc&per_page={PAGE_SIZE}&page={page}"
    return Request("GET", f"/repos/{repository}/pulls?{query}")


def pull_head_request(repository: str, number: int) -> Request:
    """One pull request, for its head commit and base branch (pulls/get)."""
    return Request("GET", f"/repos/{repository}/pulls/{number}")


def branches_request(repository: str, page: int = 1) -> Request:
    """The repository's branches and their tips (repos/list-branches)."""
    return Request("GET", f"/repos/{repository}/branches?per_page={PAGE_SIZE}&page={page}")


def branch_head_request(repository: str, branch: str) -> Request:
    """A branch's tip commit (repos/get-commit with ref `heads/<branch>`, encoded as one
    path segment); `per_page=1` keeps the commit's file list short."""
    return Request("GET", f"/repos/{repository}/commits/{segment('heads/' + branch)}?per_page=1")


def segment(text: str) -> str:
    """`text` as one URL path segment (a branch may contain `/`, `?` or `#`)."""
    return quote(text, safe="")


def pull_head(payload: object) -> Head | None:
    """A pull request object's head and base (the same shape on Gitea), or None when it lacks
    a full commit id or a plain branch name."""
    if not isinstance(payload, Mapping):
        return None
    number, head, base = payload.get("number"), payload.get("head"), payload.get("base")
    if not (isinstance(number, int) and isinstance(head, Mapping) and isinstance(base, Mapping)):
        return None
    ref, sha = _branch(base.get("ref")), head.get("sha")
    if ref is None or not (isinstance(sha, str) and is_hex_oid(sha)) or isinstance(number, bool):
        return None
    return Head(ref, sha, number)


def pull_heads(payload: object) -> list[Head]:
    """The heads in a list of pull requests; items that do not parse are left out."""
    found = (pull_head(item) for item in payload) if isinstance(payload, list) else ()
    return [head for head in found if head is not None]


def branch_heads(payload: object, sha_key: str = "sha") -> list[Head]:
    """The tips in a list of branches (`commit.<sha_key>`); items that do not parse are left
    out."""
    heads = []
    for item in payload if isinstance(payload, list) else ():
        if isinstance(item, Mapping):
            name, commit = item.get("name"), item.get("commit")
            sha = commit.get(sha_key) if isinstance(commit, Mapping) else None
            ref = _branch(name)
            if ref is not None and isinstance(sha, str) and is_hex_oid(sha):
                heads.append(Head(ref, sha))
    return heads


def branch_head(payload: object, branch: str) -> Head | None:
    """The tip in a get-commit answer for `branch`."""
    sha = payload.get("sha") if isinstance(payload, Mapping) else None
    ref = _branch(branch)
    if ref is None or not (isinstance(sha, str) and is_hex_oid(sha)):
        return None
    return Head(ref, sha)


def _branch(name: object) -> str | None:
    """`refs/heads/<name>` when `name` is a branch name gitward accepts, else None."""
    if not isinstance(name, str):
        return None
    try:
        return d.branch(name, "branch")
    except d.DeliveryError:
        return None

"""The forge's side for the receiver figures: signed webhook deliveries, and a minimal REST
double that accepts commit statuses and notes when each arrived.

The double answers only what a worker asks while judging (GitHub's routes, below /api/v3):
combined status (always empty, so every status is posted), open pull requests (none) and
`POST .../statuses/<sha>` (201). It checks nothing: the end-to-end tests check the requests
against the forge's API description; the benchmark only needs the arrival times.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

SECRET = "bench-webhook-secret"  # noqa: S105  # a throwaway value for the benchmark only
TOKEN = "bench-token"  # noqa: S105  # the forge double accepts any token
REPOSITORY = "acme/app"
PREFIX = "/api/v3"
_STATUS = re.compile(r"/api/v3/repos/[^/]+/[^/]+/statuses/([0-9a-f]{40,64})")


def _repository() -> dict[str, Any]:
    """A repository object shaped like GitHub's (its size is what intake parses)."""
    api = f"https://github.example.com/api/v3/repos/{REPOSITORY}"
    urls = {f"{name}_url": f"{api}/{name}" for name in (
        "archive", "assignees", "blobs", "branches", "collaborators", "comments", "commits",
        "compare", "contents", "contributors", "deployments", "downloads", "events", "forks",
        "git_commits", "git_refs", "git_tags", "hooks", "issue_comment", "issue_events",
        "issues", "keys", "labels", "languages", "merges", "milestones", "notifications",
        "pulls", "releases", "stargazers", "statuses", "subscribers", "subscription", "tags",
        "teams", "trees")}  # fmt: skip
    owner = {"login": "acme", "id": 1, "type": "Organization", "site_admin": False}
    return {"id": 4242, "name": "app", "full_name": REPOSITORY, "private": True,
            "owner": owner, "html_url": f"https://github.example.com/{REPOSITORY}",
            "clone_url": f"https://github.example.com/{REPOSITORY}.git",
            "default_branch": "main", "url": api, **urls}  # fmt: skip


def push_payload(ref: str, before: str, after: str) -> bytes:
    """A GitHub push event moving `ref` from `before` to `after` (one commit listed)."""
    commit = {"id": after, "tree_id": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
              "message": "JIRA-1: change", "timestamp": "2026-01-01T00:00:00Z",
              "author": {"name": "Alice", "email": "alice@example.com", "username": "alice"},
              "added": [], "removed": [], "modified": ["README.md"], "distinct": True}  # fmt: skip
    payload = {"ref": ref, "before": before, "after": after, "created": False,
               "deleted": False, "forced": False, "base_ref": None,
               "compare": f"https://github.example.com/{REPOSITORY}/compare/x...y",
               "commits": [commit], "head_commit": commit, "repository": _repository(),
               "pusher": {"name": "alice", "email": "alice@example.com"},
               "sender": {"login": "alice", "id": 2, "type": "User"}}  # fmt: skip
    return json.dumps(payload).encode()


def pull_payload(number: int, base: str, head: str) -> bytes:
    """A GitHub pull_request "opened" event for head commit `head` onto branch `base`."""
    pull = {"number": number, "state": "open", "title": "A long series",
            "head": {"ref": "feature", "sha": head, "repo": _repository()},
            "base": {"ref": base, "repo": _repository()},
            "user": {"login": "alice", "id": 2}}  # fmt: skip
    payload = {"action": "opened", "number": number, "pull_request": pull,
               "repository": _repository(), "sender": {"login": "alice", "id": 2}}  # fmt: skip
    return json.dumps(payload).encode()


def headers(event: str, body: bytes, delivery: str) -> dict[str, str]:
    """GitHub's delivery headers, signed with `SECRET` (computed here, not by gitward)."""
    mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={mac}",
    }


class Status(NamedTuple):
    sha: str
    state: str
    description: str
    at: float  # time.monotonic() when it arrived


class ForgeDouble:
    """Statuses received so far, and a way to wait for one."""

    def __init__(self) -> None:
        self.statuses: list[Status] = []
        self._changed = threading.Condition()

    def note(self, status: Status) -> None:
        with self._changed:
            self.statuses.append(status)
            self._changed.notify_all()

    def final(self, sha: str, seconds: float) -> Status | None:
        """Wait up to `seconds` for a status on `sha` that is not pending."""

        def found() -> Status | None:
            return next((s for s in self.statuses if s.sha == sha and s.state != "pending"), None)

        with self._changed:
            self._changed.wait_for(found, timeout=seconds)
            return found()

    def first(self, sha: str) -> Status | None:
        with self._changed:
            return next((s for s in self.statuses if s.sha == sha), None)


def _handler(double: ForgeDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a forge does

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.endswith("/status"):
                self._json(200, {"state": "pending", "statuses": [], "total_count": 0})
            elif path.endswith("/pulls"):
                self._json(200, [])
            else:
                self._json(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            at = time.monotonic()
            match = _STATUS.fullmatch(self.path.split("?", 1)[0])
            if match is None:
                self._json(404, {"message": "Not Found"})
                return
            sent = json.loads(body)
            double.note(Status(match[1], sent.get("state", ""), sent.get("description", ""), at))
            self._json(201, {"state": sent.get("state")})

        def _json(self, status: int, answer: object) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # base's name
            """Quiet: the benchmark prints its own lines."""

    return Handler


@contextmanager
def forge_double() -> Iterator[tuple[ForgeDouble, str]]:
    """A double on a free loopback port; yields it and its API URL."""
    double = ForgeDouble()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="bench-forge", daemon=True)
    thread.start()
    try:
        yield double, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()

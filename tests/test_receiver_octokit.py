"""Every `push` and `pull_request` example GitHub documents (npm `@octokit/webhooks-examples`)
through the real intake, signed here: judged where gitward judges, ignored where it does not,
never refused for a shape GitHub really sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gwnpm
import gwreceiver
import pytest
from flask.testing import FlaskClient

from gitward.receiver.app import create_app
from gitward.receiver.queue import Queue

PACKAGE = "@octokit/webhooks-examples@7.6.1"
JUDGED_ACTIONS = {"opened", "reopened", "synchronize"}


def examples(event: str) -> list[dict[str, Any]]:
    index = json.loads(gwnpm.package_file(PACKAGE, "api.github.com/index.json").read_text())
    (entry,) = [e for e in index if e["name"] == event]
    found: list[dict[str, Any]] = entry["examples"]
    return found


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    gwreceiver.write_forges(tmp_path / "etc")
    forges = tmp_path / "etc" / "forges.yaml"
    forges.write_text(forges.read_text().replace('["Codertocat/*",', '["*/*", "Codertocat/*",'))
    queue = Queue(f"sqlite:///{tmp_path / 'queue.db'}")
    with create_app(tmp_path / "etc", environ=gwreceiver.ENV, queue=queue).test_client() as c:
        yield c


def post(client: FlaskClient, event: str, payload: dict[str, Any], n: int) -> Any:
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks/gh", data=body, headers=gwreceiver.github_headers(body, event, f"x-{n}")
    )


def test_every_push_example_is_queued(client: FlaskClient) -> None:
    pushes = examples("push")
    assert len(pushes) >= 5
    for n, payload in enumerate(pushes):
        answer = post(client, "push", payload, n)
        ref = payload["ref"]
        if ref.startswith(("refs/heads/", "refs/tags/")):
            assert answer.status_code == 202, (ref, answer.json)
            assert "job" in answer.json, (ref, answer.json)
        else:
            assert answer.json == {"ignored": "a push outside branches and tags"}


def test_every_pull_request_example_is_queued_or_ignored_by_its_action(
    client: FlaskClient,
) -> None:
    pulls = examples("pull_request")
    assert len(pulls) >= 20
    judged = 0
    for n, payload in enumerate(pulls):
        answer = post(client, "pull_request", payload, n)
        assert answer.status_code == 202, (payload["action"], answer.json)
        action = payload["action"]
        rebased = action == "edited" and "base" in (payload.get("changes") or {})
        if action in JUDGED_ACTIONS or rebased:
            judged += 1
            assert "job" in answer.json, (action, answer.json)
        else:
            assert "ignored" in answer.json, (action, answer.json)
    assert judged >= 3

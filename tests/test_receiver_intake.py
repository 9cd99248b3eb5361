"""Intake through the real Flask app: authentic, bounded, durable, idempotent.

Deliveries are the forges' real payloads (../shared/fixtures), signed here over the exact
bytes sent. Every refusal is checked to have queued nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gwfixtures
import gwreceiver
import pytest
from flask.testing import FlaskClient

from gitward.errors import ConfigError
from gitward.receiver.app import create_app
from gitward.receiver.queue import Queue


@pytest.fixture
def queue(tmp_path: Path) -> Queue:
    return Queue(f"sqlite:///{tmp_path / 'q' / 'queue.db'}")


@pytest.fixture
def client(tmp_path: Path, queue: Queue) -> Iterator[FlaskClient]:
    gwreceiver.write_forges(tmp_path / "etc")
    app = create_app(tmp_path / "etc", environ=gwreceiver.ENV, queue=queue)
    with app.test_client() as c:
        yield c


def fixture_bytes(name: str) -> bytes:
    return (gwfixtures.shared_fixtures() / name).read_bytes()


def post_github(client: FlaskClient, body: bytes, event: str, **kw: Any) -> Any:
    return client.post(
        "/webhooks/gh", data=body, headers=gwreceiver.github_headers(body, event, **kw)
    )


def test_a_signed_push_is_queued_once_and_a_redelivery_is_a_duplicate(
    client: FlaskClient, queue: Queue
) -> None:
    body = fixture_bytes("github/push.branch-created.json")
    first = post_github(client, body, "push", delivery="a")
    assert first.status_code == 202
    assert first.json["duplicate"] is False
    again = post_github(client, body, "push", delivery="a")  # GitHub's "Redeliver"
    assert again.status_code == 202
    assert again.json == {"job": first.json["job"], "duplicate": True}
    assert queue.store.depth() == 1
    record = queue.store.get(first.json["job"])
    assert record is not None
    assert record.job.ref == "refs/heads/master"


def test_gitea_replay_with_a_new_delivery_id_is_still_one_job(
    client: FlaskClient, queue: Queue
) -> None:
    body = fixture_bytes("gitea/pull_request_opened.go-playground-webhooks.json")
    answers = [
        client.post(
            "/webhooks/tea", data=body, headers=gwreceiver.gitea_headers(body, "pull_request", d)
        )
        for d in ("first", "replayed")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert (answers[1].json or {})["duplicate"] is True
    assert queue.store.depth() == 1


def test_a_newer_head_supersedes_the_queued_one(client: FlaskClient, queue: Queue) -> None:
    payload = json.loads(fixture_bytes("github/pull_request.synchronize.json"))
    old = post_github(client, gwreceiver.body_of(payload), "pull_request").json["job"]
    payload["pull_request"]["head"]["sha"] = "b" * 40
    new = post_github(client, gwreceiver.body_of(payload), "pull_request", delivery="2").json["job"]
    assert queue.store.get(old).state == "superseded"  # type: ignore[union-attr]
    assert queue.store.get(new).state == "queued"  # type: ignore[union-attr]
    assert queue.store.depth() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature
        {"X-Hub-Signature-256": ""},  # Gitea sends empty headers when no secret is set
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Gitea-Signature": "will-not-count-on-a-github-route"},
    ],
)
def test_unauthenticated_deliveries_get_401_and_nothing_is_queued(
    client: FlaskClient, queue: Queue, headers: dict[str, str]
) -> None:
    body = fixture_bytes("github/push.branch-created.json")
    sent = {"Content-Type": "application/json", "X-GitHub-Event": "push", **headers}
    assert client.post("/webhooks/gh", data=body, headers=sent).status_code == 401
    assert queue.store.depth() == 0


def test_the_forge_type_comes_from_the_route_not_the_headers(
    client: FlaskClient, queue: Queue
) -> None:
    # A delivery signed only the GitHub way does not authenticate on a Gitea route.
    body = fixture_bytes("gitea/push.go-playground-webhooks.json")
    headers = gwreceiver.github_headers(body, "push")
    assert client.post("/webhooks/tea", data=body, headers=headers).status_code == 401
    assert queue.store.depth() == 0


def test_the_old_secret_still_works_during_a_rotation(client: FlaskClient, queue: Queue) -> None:
    body = fixture_bytes("gitea/push.go-playground-webhooks.json")
    headers = gwreceiver.gitea_headers(body, "push", secret="old-secret")
    assert client.post("/webhooks/tea", data=body, headers=headers).status_code == 202


def test_forgejo_headers_are_accepted(client: FlaskClient, queue: Queue) -> None:
    body = fixture_bytes("gitea/push.go-playground-webhooks.json")
    signature = gwreceiver.gitea_headers(body, "push")["X-Gitea-Signature"]
    headers = {
        "Content-Type": "application/json",
        "X-Forgejo-Event": "push",
        "X-Forgejo-Delivery": "f-1",
        "X-Forgejo-Signature": signature,
    }
    assert client.post("/webhooks/tea", data=body, headers=headers).status_code == 202


def test_a_body_over_the_limit_gets_413(tmp_path: Path, queue: Queue) -> None:
    gwreceiver.write_forges(tmp_path / "small", max_body=1000)
    app = create_app(tmp_path / "small", environ=gwreceiver.ENV, queue=queue)
    body = b'{"zen": "' + b"x" * 5000 + b'"}'
    with app.test_client() as c:
        assert post_github(c, body, "ping").status_code == 413
    assert queue.store.depth() == 0


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b"{}", 415),
        ("application/json", b"not json", 400),
        ("application/json", b"[1, 2]", 400),
        ("application/json", b"[" * 100000 + b"]" * 100000, 400),  # a nesting bomb
        ("application/x-www-form-urlencoded", b"nope", 400),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused(
    client: FlaskClient, queue: Queue, content_type: str, body: bytes, status: int
) -> None:
    headers = gwreceiver.github_headers(body, "push") | {"Content-Type": content_type}
    assert client.post("/webhooks/gh", data=body, headers=headers).status_code == status
    assert queue.store.depth() == 0


def test_gitea_form_encoding_is_accepted(client: FlaskClient, queue: Queue) -> None:
    from urllib.parse import urlencode

    payload = fixture_bytes("gitea/push.go-playground-webhooks.json")
    body = urlencode({"payload": payload.decode()}).encode()
    headers = gwreceiver.gitea_headers(body, "push")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert client.post("/webhooks/tea", data=body, headers=headers).status_code == 202


def test_hostile_or_unserved_repositories_are_refused_with_nothing_queued(
    client: FlaskClient, queue: Queue
) -> None:
    payload = json.loads(fixture_bytes("github/push.branch-created.json"))
    payload["repository"]["full_name"] = "../../etc"
    assert post_github(client, gwreceiver.body_of(payload), "push").status_code == 400
    payload["repository"]["full_name"] = "someone-else/app"
    assert post_github(client, gwreceiver.body_of(payload), "push").status_code == 403
    assert queue.store.depth() == 0


def test_an_event_header_that_disagrees_with_the_body_gets_400(
    client: FlaskClient, queue: Queue
) -> None:
    body = fixture_bytes("github/pull_request.opened.json")
    assert post_github(client, body, "push").status_code == 400
    assert queue.store.depth() == 0


def test_ping_unknown_events_and_unknown_routes(client: FlaskClient, queue: Queue) -> None:
    assert post_github(client, fixture_bytes("github/ping.json"), "ping").status_code == 200
    assert post_github(client, b'{"action": "created"}', "star").status_code == 202
    body = fixture_bytes("github/push.branch-created.json")
    headers = gwreceiver.github_headers(body, "push")
    assert client.post("/webhooks/nope", data=body, headers=headers).status_code == 404
    assert queue.store.depth() == 0


def test_health_readiness_metrics_and_reports(client: FlaskClient, queue: Queue) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    body = fixture_bytes("github/push.branch-created.json")
    job = post_github(client, body, "push").json["job"]
    text = client.get("/metrics").get_data(as_text=True)
    assert 'gitward_deliveries_total{event="push",forge="gh",outcome="queued"}' in text
    assert "gitward_queue_depth 1.0" in text
    page = client.get(f"/reports/{job}")
    assert page.status_code == 200
    assert "Codertocat/Hello-World" in page.get_data(as_text=True)
    assert client.get("/reports/not-a-job").status_code == 404
    assert client.get("/reports/").status_code == 404  # no listing


def test_a_missing_secret_stops_the_receiver_from_starting(tmp_path: Path) -> None:
    gwreceiver.write_forges(tmp_path / "etc")
    env = dict(gwreceiver.ENV)
    del env["GW_TEST_SECRET"]
    with pytest.raises(ConfigError, match="env:GW_TEST_SECRET"):
        create_app(tmp_path / "etc", environ=env)

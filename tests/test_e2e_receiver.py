"""End to end through a real `gitward serve`: webhooks in, the hook's verdict out as statuses.

The forge is a double that checks each REST request against the forge's published API
description (`gwforge`), its git side a real git daemon on 127.0.0.1, and the deliveries the
forges' real payloads (../shared/fixtures) signed here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gwdaemon
import gwfixtures
import gwforge
import gwreceiver
import pytest
from gwserve import (
    Served,
    free_port,
    gitward,
    http,
    oversized_status,
    process,
    statuses,
    up,
    wait_until,
    write_receiver_config,
)

PULL = {
    "github": ("github/pull_request.opened.json", "gh"),
    "gitea": ("gitea/pull_request_opened.go-playground-webhooks.json", "tea"),
}


def metrics_text(s: Setup) -> str:
    return str(http("GET", f"{s.base}/metrics")[1])


def judged(double: gwforge.ForgeDouble, sha: str) -> bool:
    """A final status (not pending) was posted on `sha`."""
    posted = statuses(double, sha)
    return bool(posted) and posted[-1][0] != "pending"


def once(posted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`posted` without repeats in a row: a POST tried again after a slow answer counts once."""
    return [p for i, p in enumerate(posted) if i == 0 or posted[i - 1] != p]


def delivery(kind: str, number: int, head: str) -> bytes:
    payload: dict[str, Any] = gwfixtures.load(PULL[kind][0])
    payload["number"] = number
    payload["repository"]["full_name"] = "acme/app"
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head
    payload["pull_request"]["base"]["ref"] = "main"
    return json.dumps(payload).encode()


def headers(kind: str, body: bytes, delivery_id: str) -> dict[str, str]:
    if kind == "github":
        return gwreceiver.github_headers(body, "pull_request", delivery_id)
    return gwreceiver.gitea_headers(body, "pull_request", delivery_id)


class Setup:
    def __init__(self, tmp_path: Path, kind: str, double: gwforge.ForgeDouble, git: str) -> None:
        self.kind, self.double = kind, double
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.served = Served(tmp_path / "served")
        self.etc = write_receiver_config(
            tmp_path / "etc", kind=kind, api_url=double.api_url, git_url=git, port=self.port
        )
        self.log = tmp_path / "receiver.log"
        self.route = f"{self.base}/webhooks/{PULL[kind][1]}"
        any_status = {"state": "pending", "statuses": [], "total_count": 0, "sha": "x"}
        double.on(
            "GET", r"/repos/acme/app/commits/[0-9a-f]+/status", gwforge.Answer(200, any_status)
        )
        double.on("POST", r"/repos/acme/app/statuses/[0-9a-f]+", gwforge.Answer(201, {}))

    def pull_request(self, number: int, message: str) -> str:
        """A signed base on main and pull request `number` of one signed commit on it."""
        base = self.served.signed("JIRA-1: base\n", [])
        self.served.set_ref("refs/heads/main", base)
        head = self.served.signed(f"JIRA-2: {message}\n", [base])
        self.served.set_ref(f"refs/pull/{number}/head", head)
        return head

    def deliver(self, number: int, head: str, delivery_id: str = "d") -> tuple[int, Any]:
        body = delivery(self.kind, number, head)
        return http("POST", self.route, body, headers(self.kind, body, delivery_id))

    def serve(self, *extra: str) -> Any:
        argv = gitward("serve", "--config", str(self.etc), "--bind", f"127.0.0.1:{self.port}",
                       "--workers", "1", *extra)  # fmt: skip
        return process(argv, self.log)

    def worker(self) -> Any:
        return process(gitward("worker", "--config", str(self.etc), "--sweep-every", "0"), self.log)


@pytest.fixture(scope="module")
def forge_server() -> Iterator[Any]:
    with gwforge.serve() as server:
        yield server


@pytest.fixture
def git_url(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "served").mkdir()
    with gwdaemon.git_daemon(tmp_path / "served") as url:
        yield url


def make(tmp_path: Path, kind: str, forge_server: Any, git_url: str) -> Setup:
    undescribed = (
        frozenset({"GET /repos/{owner}/{repo}/pulls"}) if kind == "github" else frozenset()
    )
    return Setup(tmp_path, kind, gwforge.double(forge_server, kind, undescribed), git_url)


@pytest.mark.parametrize("kind", ["github", "gitea"])
def test_pull_requests_get_pending_then_their_verdict(
    tmp_path: Path, kind: str, forge_server: Any, git_url: str
) -> None:
    s = make(tmp_path, kind, forge_server, git_url)
    base = s.served.signed("JIRA-1: base\n", [])
    s.served.set_ref("refs/heads/main", base)
    good = s.served.signed("JIRA-2: good\n", [base])
    bad = s.served.unsigned("JIRA-3: not signed\n", [good])
    s.served.set_ref("refs/pull/1/head", good)
    s.served.set_ref("refs/pull/2/head", bad)
    with s.serve():
        wait_until("the receiver", lambda: up(s.base))
        first = s.deliver(1, good, "a")
        assert first[0] == 202, first
        assert s.deliver(2, bad, "b")[0] == 202
        assert s.deliver(2, bad, "b")[1]["duplicate"] is True  # a redelivery
        assert s.deliver(2, bad, "replayed")[1]["duplicate"] is True  # Gitea's replay
        wait_until("both verdicts", lambda: judged(s.double, good) and judged(s.double, bad), 90)
        hostile = json.loads(delivery(kind, 9, good))
        hostile["repository"]["full_name"] = "acme/../../etc"
        hostile_body = json.dumps(hostile).encode()
        refused = [
            http("POST", s.route, b"{}", {"X-GitHub-Event": "push"})[0],  # no signature
            oversized_status(s.route, headers(kind, b"x", "h"), 30 * 1024 * 1024),
            http("POST", s.route, hostile_body, headers(kind, hostile_body, "h2"))[0],
        ]
        # a job is done once its result is stored, just after its final status
        wait_until("an empty queue", lambda: "gitward_queue_depth 0.0" in metrics_text(s), 30)
        metrics = metrics_text(s)
        report = http("GET", f"{s.base}/reports/{first[1]['job']}")
    assert once(statuses(s.double, good)) == [
        ("pending", "gitward is checking the commits"),
        ("success", "1 commit checked: all rules pass"),
    ]
    (pending, final) = once(statuses(s.double, bad))
    assert pending[0] == "pending"
    assert final[0] == "failure"
    assert final[1].startswith("protect-main/signature: not signed")
    assert refused == [401, 413, 400]
    assert "gitward_queue_depth 0.0" in metrics
    assert report[0] == 200
    assert "No violations" in report[1]
    assert s.double.problems == []
    sent = s.double.sent("POST", r"/repos/acme/app/statuses/[0-9a-f]+")
    assert all(p.json.get("target_url", "").startswith(s.base + "/reports/") for p in sent)
    # Each verdict is a line of the audit chain, found by `gitward audit search`.
    audited = subprocess.run(
        gitward("audit", "--config", str(s.etc), "search", "--json", "--repository", "acme/app"),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    verdicts = {(r["number"], r["verdict"]) for r in map(json.loads, audited.stdout.splitlines())}
    assert verdicts == {(1, "accepted"), (2, "refused")}
    verified = subprocess.run(gitward("audit", "--config", str(s.etc), "verify"),
                              capture_output=True, text=True, check=False)  # fmt: skip
    assert verified.returncode == 0, verified.stdout


def test_a_worker_killed_mid_job_leaves_it_to_the_next_worker(
    tmp_path: Path, forge_server: Any, git_url: str
) -> None:
    s = make(tmp_path, "github", forge_server, git_url)
    head = s.pull_request(3, "good")
    # The pending status hangs: the worker is mid-job while the forge stalls.
    stall = gwforge.Answer(201, {}, delay=20)
    s.double.on("POST", rf"/repos/acme/app/statuses/{head}", stall, gwforge.Answer(201, {}))
    with s.serve("--no-worker"):
        wait_until("the receiver", lambda: up(s.base))
        with s.worker() as doomed:
            assert s.deliver(3, head)[0] == 202
            wait_until("the job to start", lambda: len(statuses(s.double, head)) >= 1)
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait()
        with s.worker():
            wait_until("the verdict", lambda: judged(s.double, head), 90)
    assert [state for state, _ in statuses(s.double, head)][-1] == "success"


def test_two_workers_share_one_redis_queue(
    tmp_path: Path, forge_server: Any, git_url: str, redis_url: str
) -> None:
    s = make(tmp_path, "gitea", forge_server, git_url)
    db = 1 + (abs(hash(str(tmp_path))) % 14)  # a database of its own on the shared server
    write_receiver_config(s.etc, kind="gitea", api_url=s.double.api_url, git_url=git_url,
                          port=s.port, queue=redis_url.rsplit("/", 1)[0] + f"/{db}")  # fmt: skip
    base = s.served.signed("JIRA-1: base\n", [])
    s.served.set_ref("refs/heads/main", base)
    heads = []
    for n in range(1, 7):
        head = s.served.signed(f"JIRA-{n + 10}: change {n}\n", [base])
        s.served.set_ref(f"refs/pull/{n}/head", head)
        heads.append(head)
    with s.serve("--no-worker"), s.worker(), s.worker():
        wait_until("the receiver", lambda: up(s.base))
        for n, head in enumerate(heads, start=1):
            assert s.deliver(n, head, f"d{n}")[0] == 202
        wait_until("six verdicts", lambda: all(judged(s.double, h) for h in heads), 90)
    for head in heads:  # each job ran once: its final status was posted once
        states = [state for state, _ in statuses(s.double, head)]
        assert once(statuses(s.double, head))[0][0] == "pending"
        assert states.count("success") == 1, states


def test_statuses_arrive_once_the_forge_is_back(
    tmp_path: Path, forge_server: Any, git_url: str
) -> None:
    s = make(tmp_path, "gitea", forge_server, git_url)
    head = s.pull_request(4, "posted once the forge is back")
    down = gwforge.Answer(503, {"message": "maintenance"})
    s.double.on("POST", rf"/repos/acme/app/statuses/{head}", down, down, down,
                gwforge.Answer(201, {}))  # fmt: skip
    with s.serve():
        wait_until("the receiver", lambda: up(s.base))
        assert s.deliver(4, head)[0] == 202
        wait_until("the final status", lambda: judged(s.double, head), 90)
    assert statuses(s.double, head)[-1] == ("success", "1 commit checked: all rules pass")
    assert len(statuses(s.double, head)) >= 5  # the refused attempts, then both statuses


def test_sigterm_lets_the_running_job_finish(
    tmp_path: Path, forge_server: Any, git_url: str
) -> None:
    s = make(tmp_path, "github", forge_server, git_url)
    head = s.pull_request(5, "finished after SIGTERM")
    stall = gwforge.Answer(201, {}, delay=3)  # the pending status takes a while
    s.double.on("POST", rf"/repos/acme/app/statuses/{head}", stall, gwforge.Answer(201, {}))
    with s.serve("--no-worker"):
        wait_until("the receiver", lambda: up(s.base))
        with s.worker() as running:
            assert s.deliver(5, head)[0] == 202
            wait_until("the job to start", lambda: len(statuses(s.double, head)) >= 1)
            running.send_signal(signal.SIGTERM)
            assert running.wait(timeout=40) == 0
    states = [state for state, _ in statuses(s.double, head)]
    assert states[0] == "pending"
    assert states[-1] == "success"  # finished, not left pending or given up as an error

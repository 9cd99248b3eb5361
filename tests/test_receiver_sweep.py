"""Deliveries that never arrived: the worker's sweep and `gitward recheck` queue jobs from what
the forge says now (a Gitea double checking every request against Gitea's API description)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gwforge
import gwreceiver
import pytest
from gwforge import Answer, ForgeDouble
from pytest_httpserver import HTTPServer

from gitward.cli import main
from gitward.config import forges_file
from gitward.receiver import worker
from gitward.receiver.queue import Queue

SHA1, SHA2, TIP = "1" * 40, "2" * 40, "3" * 40


def pull(number: int, sha: str) -> dict[str, object]:
    return {"number": number, "head": {"sha": sha, "ref": f"topic-{number}"},
            "base": {"ref": "main", "sha": "0" * 40}}  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    with gwforge.serve() as running:
        yield running


FORGES = """\
version: 1
receiver: {{allow_insecure_loopback: true, data_dir: {data}}}
forges:
  - name: tea
    type: gitea
    api_url: {api_url}
    git_url: http://127.0.0.1:9
    webhook_secret: env:GW_TEST_SECRET
    token: env:GW_TEST_TOKEN
    repositories: ["acme/app"]
"""


@pytest.fixture
def tea(
    server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ForgeDouble]:
    double = gwforge.double(server, "gitea")
    gwreceiver.write_forges(tmp_path / "etc")
    text = FORGES.format(data=tmp_path / "data", api_url=double.api_url)
    (tmp_path / "etc" / "forges.yaml").write_text(text)
    for key, value in gwreceiver.ENV.items():
        monkeypatch.setenv(key, value)
    yield double
    assert double.problems == []


def test_the_sweep_queues_open_pull_requests_without_a_status(
    tea: ForgeDouble, tmp_path: Path
) -> None:
    tea.on("GET", r"/repos/acme/app/pulls", Answer(json=[pull(1, SHA1), pull(2, SHA2)]))
    with_status = {"state": "success", "sha": SHA2, "statuses": [
        {"context": "gitward", "state": "success", "description": "ok"}]}  # fmt: skip
    tea.on("GET", rf"/repos/acme/app/commits/{SHA1}/status", Answer(json={"statuses": []}))
    tea.on("GET", rf"/repos/acme/app/commits/{SHA2}/status", Answer(json=with_status))
    config = forges_file.load(tmp_path / "etc" / "forges.yaml")
    queue = Queue(config.receiver.queue)
    clients = worker.clients(config)
    assert worker.sweep(queue, config, clients) == 1  # PR 2 already has gitward's status
    assert worker.sweep(queue, config, clients) == 0  # the same head again: one job
    assert queue.store.depth() == 1


def test_recheck_queues_a_pull_request_or_a_branch(
    tea: ForgeDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tea.on("GET", r"/repos/acme/app/pulls/4", Answer(json=pull(4, SHA1)))
    tea.on(
        "GET",
        r"/repos/acme/app/branches/main",
        Answer(json={"name": "main", "commit": {"id": TIP}}),
    )
    etc = str(tmp_path / "etc")
    assert main(["recheck", "--config", etc, "--forge", "tea", "acme/app", "--pr", "4"]) == 0
    assert main(["recheck", "--config", etc, "--forge", "tea", "acme/app", "--ref", "main"]) == 0
    # an explicit re-run is never a duplicate
    assert main(["recheck", "--config", etc, "--forge", "tea", "acme/app", "--pr", "4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(f"pull_request acme/app refs/heads/main at {SHA1}")
    assert out[1].endswith(f"push acme/app refs/heads/main at {TIP}")
    assert out[2].split()[2] != out[0].split()[2]  # a new job...
    config = forges_file.load(tmp_path / "etc" / "forges.yaml")
    store = Queue(config.receiver.queue).store
    first = store.get(out[0].split()[2].rstrip(":"))
    assert first is not None
    assert first.state == "superseded"  # ...that replaced the one still queued
    assert store.depth() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--forge", "nope", "acme/app", "--pr", "1"], "no forge named 'nope'"),
        (["--forge", "tea", "other/app", "--pr", "1"], "not among tea's repositories"),
        (["--forge", "tea", "../x", "--pr", "1"], "not a plain owner/name"),
    ],
)
def test_recheck_refuses_what_it_cannot_queue(
    tea: ForgeDouble, tmp_path: Path, args: list[str], message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert main(["recheck", "--config", str(tmp_path / "etc"), *args]) == 1
    assert message in capsys.readouterr().err

"""Receiver verdicts go into the audit log's hash chain: one `receiver.verdict` line per judged
job (push and pull request), written by the hook's own writer, so pushes through the installed
hook and receiver jobs, also at once, keep one chain that `gitward audit verify` accepts and
`gitward audit search` filters. A verdict the log cannot hold is posted as an error."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gwdaemon
import gwjudge
import gwkeys
import gwrepo
import pytest
from gwpush import Client, Signer, audit, bare_repo, write_config

from gitward.cli import main
from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord

TOKEN = "gw-receiver-token-5f1e"  # a throwaway value for tests only: never in a line
POLICY = """\
version: 1
settings: {timeout_seconds: 60}
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures: {signers: [alice]}
"""


class Site:
    """`acme/app` served by a git daemon, a worker's judge and a hooked bare repo, one config."""

    def __init__(self, tmp_path: Path, url: str, served: Path) -> None:
        (served / "acme").mkdir(parents=True, exist_ok=True)
        self.repo = gwrepo.init(served / "acme" / "app.git")
        tree = gwrepo.empty_tree(self.repo)
        self.sign = functools.partial(gwkeys.ssh_signed_commit_object, "alice", tree)
        self.etc = tmp_path / "etc"
        self.policy = write_config(self.etc, POLICY, {"alice": Signer(openpgp=False, ssh=True)})
        self.recorder = gwjudge.Recorder()
        self.judge = gwjudge.judge(
            self.etc, url, tmp_path / "data", self.recorder,
            lambda f, r: ("x-access-token", TOKEN.encode()),
        )  # fmt: skip
        self.log = self.etc / "audit.jsonl"

    def signed(self, message: str, parents: list[str]) -> str:
        return gwrepo.write_object(self.repo, "commit", self.sign(parents, message.encode()))

    def run(self, job: Job, job_id: str) -> dict[str, object]:
        return self.judge(JobRecord(job_id, job, "running"))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    served = tmp_path / "served"
    served.mkdir()
    with gwdaemon.git_daemon(served) as url:
        yield Site(tmp_path, url, served)


def pr(head: str, number: int, delivery: str) -> Job:
    return Job("gh", "acme/app", "pull_request", "refs/heads/main", "", head, number, delivery,
               "bob")  # fmt: skip


def search(
    capsys: pytest.CaptureFixture[str], site: Site, *filters: str
) -> list[dict[str, object]]:
    capsys.readouterr()
    code = main(["audit", "--config", str(site.etc), "search", "--json", *filters])
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_each_judged_job_writes_one_chained_verdict_line(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    base = site.signed("base\n", [])
    gwrepo.set_ref(site.repo, "refs/heads/main", base)
    good = site.signed("good\n", [base])
    bad = gwrepo.commit(site.repo, "not signed\n", [base])
    gwrepo.set_ref(site.repo, "refs/pull/1/head", good)
    gwrepo.set_ref(site.repo, "refs/pull/2/head", bad)
    assert site.run(pr(good, 1, "delivery-a"), "job-a")["state"] == "success"
    assert site.run(pr(bad, 2, "delivery-b"), "job-b")["state"] == "failure"
    pushed = Job("gh", "acme/app", "push", "refs/heads/main", base, good, None, "delivery-c",
                 "alice")  # fmt: skip
    assert site.run(pushed, "job-c")["state"] == "success"

    records = audit(site.policy)
    assert [(r["event"], r["kind"], r["number"], r["verdict"]) for r in records] == [
        ("receiver.verdict", "pull_request", 1, "accepted"),
        ("receiver.verdict", "pull_request", 2, "refused"),
        ("receiver.verdict", "push", None, "accepted"),
    ]
    refused = records[1]
    assert refused["forge"] == "gh"
    assert refused["repository"] == "acme/app"
    assert refused["ref"] == "refs/heads/main"
    assert refused["commit"] == bad
    assert refused["delivery_id"] == "delivery-b"
    assert refused["job"] == "job-b"
    assert refused["actor"] == "bob"
    assert refused["state"] == "failure"
    assert [v["rule_id"] for v in refused["violations"]] == ["protect-main/signature"]
    assert TOKEN not in site.log.read_text()

    capsys.readouterr()
    assert main(["audit", "--config", str(site.etc), "verify"]) == 0
    assert "chain intact (3 lines" in capsys.readouterr().out
    found = search(capsys, site, "--repository", "acme/app", "--verdict", "refused")
    assert [(r["event"], r["number"]) for r in found] == [("receiver.verdict", 2)]
    by_rule = search(capsys, site, "--rule", "protect-main", "--pusher", "bob")
    assert [r["job"] for r in by_rule] == ["job-b"]
    capsys.readouterr()
    assert main(["audit", "--config", str(site.etc), "search", "--event", "receiver.*"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 3
    assert (
        "receiver.verdict bob: refused via gh pull request #2 into acme/app refs/heads/main"
        in shown[1]
    )
    assert "(delivery delivery-b)" in shown[1]


def test_hook_pushes_and_receiver_jobs_at_once_keep_one_chain(
    site: Site, gnupghome: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = site.signed("base\n", [])
    gwrepo.set_ref(site.repo, "refs/heads/main", base)
    heads = [site.signed(f"change {n}\n", [base]) for n in range(4)]
    for n, head in enumerate(heads, 1):
        gwrepo.set_ref(site.repo, f"refs/pull/{n}/head", head)
    server = bare_repo(tmp_path / "srv" / "app.git", site.policy)
    client = Client(tmp_path / "work", gnupghome)
    client.commit("signed", sign=("ssh", "alice"))

    def hook_pushes() -> bool:
        return all(client.push(server, f"HEAD:refs/heads/b{n}").ok for n in range(3))

    def receiver_jobs() -> list[object]:
        return [site.run(pr(h, n, f"d{n}"), f"job-{n}")["state"] for n, h in enumerate(heads, 1)]

    with ThreadPoolExecutor(2) as pool:
        pushes = pool.submit(hook_pushes)
        jobs = pool.submit(receiver_jobs)
        assert pushes.result()
        assert jobs.result() == ["success"] * 4
    events = sorted(str(r["event"]) for r in audit(site.policy))
    assert events == ["push"] * 3 + ["receiver.verdict"] * 4
    capsys.readouterr()
    assert main(["audit", "--config", str(site.etc), "verify"]) == 0
    assert "chain intact (7 lines" in capsys.readouterr().out


def test_a_verdict_the_audit_log_cannot_hold_is_posted_as_an_error(site: Site) -> None:
    base = site.signed("base\n", [])
    gwrepo.set_ref(site.repo, "refs/heads/main", base)
    good = site.signed("good\n", [base])
    gwrepo.set_ref(site.repo, "refs/pull/1/head", good)
    site.log.mkdir()  # a directory where the log should be: no line can be written
    result = site.run(pr(good, 1, "d"), "job-1")
    assert result["state"] == "error"
    assert result["error"] == "cannot write the audit log; no verdict was given"
    assert [s.state for s in site.recorder.statuses] == ["pending", "error"]

"""The receiver's pull-request and push jobs apply protected paths through the same engine as
the hook: a change to a protected path signed by one maintainer gets the hook's rule id, and the
author's signed commit with a second maintainer's signed merge passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gwdaemon
import gwjudge
import gwkeys
import gwrepo
import pytest
from gwpush import Client, Signer, write_config

from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord

POLICY = """\
version: 1
rules:
  - id: prod
    refs: [refs/heads/main]
    content:
      protected_paths:
        paths: ["clusters/prod/**"]
        signers: [group:maintainers]
        min_signers: 2
"""


class Served:
    """A served repository (`acme/app`), the receiver's judge, and a work repository whose
    signed commits are pushed there as the forge would hold them."""

    def __init__(self, tmp_path: Path, url: str, served: Path, gnupghome: Path) -> None:
        (served / "acme").mkdir(parents=True, exist_ok=True)
        self.repo = gwrepo.init(served / "acme" / "app.git")
        etc = tmp_path / "etc"
        write_config(etc, POLICY, {"alice": Signer(), "bob": Signer()})
        self.recorder = gwjudge.Recorder()
        self.judge = gwjudge.judge(etc, url, tmp_path / "data", self.recorder)
        self.work = Client(tmp_path / "work", gnupghome)

    def commit(self, path: str, text: str, by: str) -> str:
        (self.work.path / path).parent.mkdir(parents=True, exist_ok=True)
        (self.work.path / path).write_text(text)
        self.work.git("add", path)
        return self.work.commit(path, sign=("openpgp", by), who=by)

    def publish(self, oid: str, ref: str) -> None:
        assert self.work.push(self.repo, f"{oid}:{ref}", force=True).ok

    def run(self, job: Job) -> dict[str, object]:
        return self.judge(JobRecord("job-1", job, "running"))


@pytest.fixture
def served(tmp_path: Path, gnupghome: Path) -> Iterator[Served]:
    root = tmp_path / "served"
    root.mkdir()
    with gwdaemon.git_daemon(root) as url:
        yield Served(tmp_path, url, root, gnupghome)


def pull(head: str) -> Job:
    return Job("gh", "acme/app", "pull_request", "refs/heads/main", "", head, 3, "d", "alice")


def rule_ids(result: dict[str, object]) -> list[str]:
    found = result["violations"]
    assert isinstance(found, list)
    return [v["rule_id"] for v in found]


def test_pull_requests_and_pushes_get_the_hooks_two_person_verdict(served: Served) -> None:
    base = served.commit("README.md", "app\n", "alice")
    served.publish(base, "refs/heads/main")
    served.work.git("checkout", "-q", "-b", "scale")
    tip = served.commit("clusters/prod/app.yaml", "replicas: 3\n", "alice")
    served.publish(tip, "refs/pull/3/head")
    result = served.run(pull(tip))
    assert result["state"] == "failure"
    assert rule_ids(result) == ["prod/two-person"]
    found = result["violations"]
    assert isinstance(found, list)
    assert f"signed by alice ({tip[:10]}) only; needs 1 more" in found[0]["message"]
    assert f"git merge --no-ff -S {tip[:12]}" in found[0]["hint"]
    served.publish(tip, "refs/heads/main")
    pushed = served.run(Job("gh", "acme/app", "push", "refs/heads/main", base, tip, None, "d",
                            "alice"))  # fmt: skip
    assert pushed["state"] == "failure" and pushed["violations"] == result["violations"]
    assert served.recorder.statuses[-1].description.startswith("prod/two-person")


def test_a_second_maintainers_signed_merge_passes(served: Served) -> None:
    base = served.commit("README.md", "app\n", "alice")
    served.publish(base, "refs/heads/main")
    served.work.git("checkout", "-q", "-b", "scale")
    tip = served.commit("clusters/prod/app.yaml", "replicas: 3\n", "alice")
    served.work.git("checkout", "-q", "main")
    sign = gwkeys.sign_config("openpgp", "bob")
    served.work.git(*sign, "merge", "-q", "--no-ff", "-S", "-m", "merge", tip)
    merged = served.work.git("rev-parse", "HEAD")
    served.publish(merged, "refs/pull/3/head")
    result = served.run(pull(merged))
    assert (result["state"], rule_ids(result)) == ("success", [])

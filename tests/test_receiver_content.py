"""The receiver's jobs apply content rules through the same engine as the hook: a pull request
and a push bringing a secret get the same rule ids and wording, and the secret is never in the
job's result (which the report page shows)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import gwdaemon
import gwjudge
import gwrepo
import gwsecrets
import pytest
from gwpush import Signer, write_config

from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord

ZERO = "0" * 40
POLICY = """\
version: 1
rules:
  - id: gitops
    refs: [refs/heads/main]
    content:
      secrets: {}
      files: {forbidden_paths: [".env"]}
      kubernetes_secrets: {}
      rego: {policies: [rego/privileged.rego]}
"""
EXAMPLE_REGO = Path(__file__).parent.parent / "config" / "rego"


class Served:
    def __init__(self, tmp_path: Path, url: str, served: Path) -> None:
        (served / "acme").mkdir(parents=True, exist_ok=True)
        self.repo = gwrepo.init(served / "acme" / "app.git")
        etc = tmp_path / "etc"
        write_config(etc, POLICY, {"alice": Signer()})
        shutil.copytree(EXAMPLE_REGO, etc / "rego")
        self.recorder = gwjudge.Recorder()
        self.judge = gwjudge.judge(etc, url, tmp_path / "data", self.recorder)

    def commit(self, files: dict[str, bytes], parents: list[str]) -> str:
        entries = "".join(
            f"100644 blob {gwrepo.write_object(self.repo, 'blob', data)}\t{name}\n"
            for name, data in files.items()
        )
        tree = gwrepo.git(self.repo, "mktree", input=entries.encode())
        return gwrepo.commit(self.repo, "change\n", parents, tree=tree)

    def run(self, job: Job) -> dict[str, object]:
        return self.judge(JobRecord("job-1", job, "running"))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    root = tmp_path / "served"
    root.mkdir()
    with gwdaemon.git_daemon(root) as url:
        yield Served(tmp_path, url, root)


def test_pull_requests_and_pushes_get_the_hooks_content_verdict(served: Served) -> None:
    base = served.commit({"README": b"hello\n"}, [])
    gwrepo.set_ref(served.repo, "refs/heads/main", base)
    token = gwsecrets.github_pat(gwsecrets.rng(21))
    bad = served.commit({"README": b"hello\n", ".env": f"TOKEN={token}\n".encode()}, [base])
    gwrepo.set_ref(served.repo, "refs/pull/3/head", bad)
    pull = Job("gh", "acme/app", "pull_request", "refs/heads/main", "", bad, 3, "d", "bob")
    result = served.run(pull)
    assert result["state"] == "failure"
    found = result["violations"]
    assert isinstance(found, list)
    assert {v["rule_id"] for v in found} == {"gitops/forbidden-file", "gitops/secret"}
    secret = next(v for v in found if "(github-pat)" in v["message"])
    assert secret["oid"] == bad and "(github-pat) in .env line 1" in secret["message"]
    assert token not in json.dumps(result) and token[:4] in json.dumps(result)  # hint only
    gwrepo.set_ref(served.repo, "refs/heads/main", bad)
    pushed = served.run(Job("gh", "acme/app", "push", "refs/heads/main", base, bad, None, "d",
                            "alice"))  # fmt: skip
    assert pushed["state"] == "failure" and pushed["violations"] == result["violations"]
    assert served.recorder.statuses[-1].description.startswith("gitops/")


def test_kubernetes_manifests_get_the_hooks_verdict(served: Served) -> None:
    base = served.commit({"README": b"hello\n"}, [])
    gwrepo.set_ref(served.repo, "refs/heads/main", base)
    secret = b"apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {pw: hunter2}\n"
    pod = (
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
        b"    - {name: web, image: x, securityContext: {privileged: true}}\n"
    )
    files = {"README": b"hello\n", "db.yaml": b"a: 1\n---\n" + secret, "pod.yaml": pod}
    bad = served.commit(files, [base])
    gwrepo.set_ref(served.repo, "refs/pull/4/head", bad)
    pull = Job("gh", "acme/app", "pull_request", "refs/heads/main", "", bad, 4, "d", "bob")
    result = served.run(pull)
    assert result["state"] == "failure"
    found = result["violations"]
    assert isinstance(found, list)
    assert sorted((v["rule_id"], v["message"]) for v in found) == [
        ("gitops/kubernetes-secret", "db.yaml, document 2: Secret db carries clear text in "
         "stringData.pw"),
        ("gitops/rego", "pod.yaml, document 1: Pod web denied by Rego policy privileged: "
         "container web is privileged (securityContext.privileged: true)"),
    ]  # fmt: skip
    assert "hunter2" not in json.dumps(result)
    gwrepo.set_ref(served.repo, "refs/heads/main", bad)
    pushed = served.run(Job("gh", "acme/app", "push", "refs/heads/main", base, bad, None, "d",
                            "alice"))  # fmt: skip
    assert pushed["state"] == "failure" and pushed["violations"] == result["violations"]

"""The receiver's worker reads the policy from a policy repository as the hook does, and records
the policy commit with each verdict (and refuses to judge after a step back)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import gwdaemon
import gwjudge
import gwkeys
import gwrepo
from gwpush import Signer, write_config

from gitward.cli import main
from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord

POLICY = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures: {signers: [alice]}
"""


def test_the_worker_judges_with_the_policy_commit(tmp_path: Path) -> None:
    # The policy repository: policy.yaml and alice's signer file, committed.
    seed = tmp_path / "seed"
    write_config(seed, POLICY, {"alice": Signer(openpgp=False, ssh=True)})
    policy = gwrepo.init(tmp_path / "cfg.git")
    gwrepo.git(seed, "init", "-q", "-b", "main")
    gwrepo.git(seed, "add", "-A")
    gwrepo.git(seed, "commit", "-q", "-m", "policy")
    gwrepo.git(seed, "push", "-q", str(policy), "HEAD:refs/heads/main")
    commit = gwrepo.git(policy, "rev-parse", "refs/heads/main")
    etc = tmp_path / "etc"
    assert main(["install", "--config", str(etc), "--config-repo", str(policy)]) == 0
    served = tmp_path / "served"
    (served / "acme").mkdir(parents=True)
    app = gwrepo.init(served / "acme" / "app.git")
    sign = functools.partial(gwkeys.ssh_signed_commit_object, "alice", gwrepo.empty_tree(app))
    tip = gwrepo.write_object(app, "commit", sign([], b"JIRA-1: signed\n"))
    gwrepo.set_ref(app, "refs/heads/main", tip)
    with gwdaemon.git_daemon(served) as url:
        judge = gwjudge.judge(etc, url, tmp_path / "data", gwjudge.Recorder())
        (etc / "policy.yaml").unlink()  # the helper's stand-in: the repository holds ours
        job = Job("gh", "acme/app", "push", "refs/heads/main", "0" * 40, tip, None, "d", "alice")
        result = judge(JobRecord("job-1", job, "running"))
        assert result["state"] == "success", result
        assert result["policy_commit"] == commit
        # ...and so does its line in the audit chain.
        lines = (etc / "audit.jsonl").read_text().splitlines()
        verdict = json.loads(lines[-1])
        assert (verdict["event"], verdict["policy_commit"]) == ("receiver.verdict", commit)
        # A step back of the policy repository: the job is an error, not a verdict.
        older = gwrepo.commit(policy, "unrelated")
        gwrepo.set_ref(policy, "refs/heads/main", older)
        result = judge(JobRecord("job-2", job, "running"))
        assert result["state"] == "error"
        assert "does not descend from" in str(result["error"])

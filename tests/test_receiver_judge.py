"""The worker judges forge pushes and pull requests exactly as the hook judges pushes.

A real git daemon on 127.0.0.1 serves the forge's repository (with `refs/pull/N/head` as
GitHub and Gitea keep them); the worker fetches into its own mirror and posts statuses to a
recording poster (the REST side is tested against the forges' API descriptions elsewhere).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import gwdaemon
import gwjudge
import gwkeys
import gwrepo
import pytest
from gwpush import Signer, write_config

from gitward.config.forges_file import ForgeInstance
from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord

ZERO = "0" * 40
POLICY = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures: {signers: [alice]}
    messages: {must_match: '^JIRA-[0-9]+: '}
    protection: {block_force_push: true, block_deletion: true}
  - id: release-tags
    refs: ["refs/tags/v*"]
    signatures: {signers: [alice]}
"""


class Forge:
    """A served repository `acme/app` and the worker's configuration pointing at it."""

    def __init__(self, tmp_path: Path, url: str, served: Path) -> None:
        (served / "acme").mkdir(parents=True, exist_ok=True)
        self.repo = gwrepo.init(served / "acme" / "app.git")
        self.tree = gwrepo.empty_tree(self.repo)
        self.sign = functools.partial(gwkeys.ssh_signed_commit_object, "alice", self.tree)
        etc = tmp_path / "etc"
        write_config(etc, POLICY, {"alice": Signer(openpgp=False, ssh=True)})
        self.recorder = gwjudge.Recorder()
        self.judge = gwjudge.judge(etc, url, tmp_path / "data", self.recorder)
        self.config = self.judge.forges

    def signed(self, message: str, parents: list[str]) -> str:
        return gwrepo.write_object(self.repo, "commit", self.sign(parents, message.encode()))

    def unsigned(self, message: str, parents: list[str]) -> str:
        return gwrepo.commit(self.repo, message, parents)

    def run(self, job: Job) -> dict[str, object]:
        return self.judge(JobRecord("job-1", job, "running"))

    @property
    def forge(self) -> ForgeInstance:
        forge = self.config.forge("gh")
        assert forge is not None
        return forge


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[Forge]:
    served = tmp_path / "served"
    served.mkdir()
    with gwdaemon.git_daemon(served) as url:
        yield Forge(tmp_path, url, served)


def pr(after: str, number: int = 1) -> Job:
    return Job("gh", "acme/app", "pull_request", "refs/heads/main", "", after, number, "d", "bob")


def push(before: str, after: str, ref: str = "refs/heads/main") -> Job:
    return Job("gh", "acme/app", "push", ref, before, after, None, "d", "alice")


def violations(result: dict[str, object]) -> list[tuple[object, object]]:
    found = result["violations"]
    assert isinstance(found, list)
    return [(v["rule_id"], v["oid"]) for v in found]


def states(forge: Forge) -> list[str]:
    return [s.state for _, _, s in forge.recorder.posted]


def test_a_signed_pull_request_passes_and_an_unsigned_one_fails(forge: Forge) -> None:
    base = forge.signed("JIRA-1: base\n", [])
    gwrepo.set_ref(forge.repo, "refs/heads/main", base)
    good = forge.signed("JIRA-2: good\n", [base])
    gwrepo.set_ref(forge.repo, "refs/pull/1/head", good)
    result = forge.run(pr(good, 1))
    assert result["state"] == "success"
    assert result["commits_checked"] == 1
    assert states(forge) == ["pending", "success"]
    assert str(result["policy_version"]).startswith("sha256:")

    bad = forge.unsigned("JIRA-3: not signed\n", [good])
    gwrepo.set_ref(forge.repo, "refs/pull/2/head", bad)
    result = forge.run(pr(bad, 2))
    assert result["state"] == "failure"
    assert violations(result) == [("protect-main/signature", bad)]
    final = forge.recorder.posted[-1]
    assert final[1] == bad
    assert final[2].description.startswith("protect-main/signature")


def test_a_push_already_in_the_mirror_is_still_judged_from_the_forges_before(
    forge: Forge,
) -> None:
    base = forge.signed("JIRA-1: base\n", [])
    gwrepo.set_ref(forge.repo, "refs/heads/main", base)
    assert forge.run(push(ZERO, base))["state"] == "success"
    first = forge.unsigned("JIRA-2: unsigned\n", [base])
    second = forge.unsigned("JIRA-3: unsigned too\n", [first])
    gwrepo.set_ref(forge.repo, "refs/heads/main", second)
    # A first job has already fetched main at `second` into the mirror (a redelivery, or a
    # second job): reading the mirror's refs as "before" would check nothing and pass.
    forge.run(push(base, second))
    result = forge.run(push(base, second))
    assert result["state"] == "failure"
    assert result["commits_checked"] == 2
    assert {oid for _, oid in violations(result)} == {first, second}


def test_push_act_checks_apply_to_pushes_not_to_pull_requests(forge: Forge) -> None:
    base = forge.signed("JIRA-1: base\n", [])
    other = forge.signed("JIRA-2: elsewhere\n", [])
    gwrepo.set_ref(forge.repo, "refs/heads/main", other)  # main was force-pushed to `other`
    result = forge.run(push(base, other))
    assert [rule for rule, _ in violations(result)] == ["protect-main/force-push"]
    gwrepo.set_ref(forge.repo, "refs/pull/5/head", base)  # unrelated history, as a PR
    assert forge.run(pr(base, 5))["state"] == "success"


def test_a_pull_request_of_more_than_250_commits_is_judged_whole(forge: Forge) -> None:
    base = forge.signed("JIRA-1: base\n", [])
    gwrepo.set_ref(forge.repo, "refs/heads/main", base)
    tip = base
    for i in range(300):
        tip = forge.signed(f"JIRA-{i + 10}: step {i}\n", [tip])
    last = forge.unsigned("JIRA-999: the 301st, unsigned\n", [tip])
    gwrepo.set_ref(forge.repo, "refs/pull/7/head", last)
    result = forge.run(pr(last, 7))
    assert result["commits_checked"] == 301
    assert [oid for _, oid in violations(result)] == [last]


def test_what_cannot_be_judged_ends_as_an_error_status(forge: Forge) -> None:
    base = forge.signed("JIRA-1: base\n", [])
    gwrepo.set_ref(forge.repo, "refs/heads/main", base)
    missing = "f" * 40  # a head the forge does not have
    result = forge.run(pr(missing, 9))
    assert result["state"] == "error"
    assert states(forge) == ["pending", "error"]
    assert forge.recorder.posted[-1][2].description.startswith("gitward could not judge")


def test_deletions_and_tags_are_judged_as_the_hook_judges_them(forge: Forge) -> None:
    base = forge.signed("JIRA-1: base\n", [])
    gwrepo.set_ref(forge.repo, "refs/heads/main", base)
    deleted = forge.run(push(base, ZERO))
    assert [rule for rule, _ in violations(deleted)] == ["protect-main/deletion"]
    assert forge.recorder.posted == []  # no commit to carry a status: the report has it
    gwrepo.set_ref(forge.repo, "refs/tags/v1", base)  # a lightweight tag on a signed commit
    tagged = forge.run(push(ZERO, base, "refs/tags/v1"))
    assert tagged["state"] == "failure"
    assert [str(rule).split("/")[0] for rule, _ in violations(tagged)] == ["release-tags"]
    assert {sha for _, sha, _ in forge.recorder.posted} == {base}  # on the tagged commit
    gwrepo.git(forge.repo, "tag", "-a", "-m", "release 2", "v2", base)  # annotated, unsigned
    tag = gwrepo.git(forge.repo, "rev-parse", "refs/tags/v2")
    assert tag != base
    annotated = forge.run(push(ZERO, tag, "refs/tags/v2"))
    assert annotated["state"] == "failure"
    assert forge.recorder.posted[-1][1] == base  # statuses go on commits, not tag objects

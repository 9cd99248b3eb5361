"""The worker's job: the hook's verdict on a forge push or pull request, posted as a status.

Commits are found with git, as the hook finds them, never from the webhook's commit list
(GitHub truncates it, Gitea sends at most 5) or the pull-request commits API (250 at most): the
job's refs are fetched into the repository's mirror and judged by `facts.gather` with the
forge's before-state, never the mirror's copy of the updated ref.

- push: exactly the hook's evaluation of `before -> after` on the pushed ref;
- pull request: the commits of its head that its base branch does not have, judged as a push of
  the head to the base branch; checks of the act of pushing (force-push, deletion, who pushes)
  are left out, since nobody is pushing yet (`policy.scope`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from gitward.config import load
from gitward.config.forges_file import ForgeInstance, ForgesConfig
from gitward.config.version import policy_version
from gitward.deadline import Deadline
from gitward.errors import GitError, GitwardError
from gitward.facts.before import RefsBefore
from gitward.facts.gather import gather
from gitward.forges import status as wording
from gitward.forges.delivery import Job
from gitward.forges.status import CommitStatus
from gitward.git.repo import Repo
from gitward.model import Pusher, RefUpdate, Verdict, Violation, is_zero_oid
from gitward.policy.engine import evaluate
from gitward.policy.scope import about_history
from gitward.receiver.jobs import JobRecord
from gitward.receiver.mirror import Mirror
from gitward.receiver.queue import RetryLater

LOG = logging.getLogger("gitward.receiver")
PRIVATE = "refs/gitward/"  # where pull-request heads are fetched; no rule matches it
JOB_SECONDS = 120.0  # a job's budget for judging (fetching has its own bound)
REPORT_VIOLATIONS = 500  # kept in a job's result (the counts are all kept)


class Poster(Protocol):
    """Posts to one forge (`receiver.posters`); raises RetryLater while it is unavailable."""

    def post_status(self, repository: str, sha: str, status: CommitStatus) -> None:
        """The pending status, when the job starts."""

    def post_final(
        self, repository: str, sha: str, status: CommitStatus, violations: Sequence[Violation]
    ) -> None:
        """The verdict; `violations` for annotations (check runs)."""


Credentials = Callable[[ForgeInstance, str], tuple[str, bytes]]


class Judge:
    """Runs jobs: a callable for `Queue.serve`."""

    def __init__(
        self,
        policy: Path,
        forges: ForgesConfig,
        posters: Mapping[str, Poster],
        credentials: Credentials,
        *,
        seconds: float = JOB_SECONDS,
    ) -> None:
        self.policy, self.forges, self.posters = policy, forges, posters
        self.credentials, self.seconds = credentials, seconds

    def __call__(self, record: JobRecord) -> dict[str, object]:
        job = record.job
        forge = self.forges.forge(job.forge)
        if forge is None:  # the forge was removed from forges.yaml since the job was queued
            return {"state": "error", "error": f"forge {job.forge!r} is not configured"}
        poster = self.posters[forge.name]
        url = self._report_url(record.id)
        context = self.forges.receiver.status_context
        target = job.head
        if target:
            pending = CommitStatus("pending", wording.pending(), context, url)
            poster.post_status(job.repository, target, pending)
        started = time.monotonic()
        found: list[Violation] = []
        try:
            result, target, found = self._judge(job, forge, target)
        except RetryLater:
            raise
        except GitwardError as exc:
            LOG.warning("job %s could not be judged: %s", record.id, exc)
            result = {"state": "error", "error": str(exc).splitlines()[0][:300]}
        result["seconds"] = round(time.monotonic() - started, 3)
        result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        if target:
            status = final_status(result, context, url)
            poster.post_final(job.repository, target, status, found)
        return result

    def _report_url(self, job_id: str) -> str | None:
        base = self.forges.receiver.public_url
        return f"{base}/reports/{job_id}" if base else None

    def _judge(
        self, job: Job, forge: ForgeInstance, target: str
    ) -> tuple[dict[str, object], str, list[Violation]]:
        loaded = load(self.policy)
        version = policy_version(loaded.path, Path(loaded.policy.settings.signers_dir))
        username, password = self.credentials(forge, job.repository)
        mirror = Mirror(
            self.forges.receiver.data_dir,
            forge,
            job.repository,
            allow_insecure_loopback=self.forges.receiver.allow_insecure_loopback,
            username=username,
            password=password,
        )
        deadline = Deadline(self.seconds)
        with mirror.locked(), Repo(mirror.path, {"GIT_DIR": str(mirror.path)}, deadline) as repo:
            update, before = _fetch(mirror, repo, job, deadline)
            if target and job.ref.startswith("refs/tags/"):
                target = repo.rev_parse(f"{job.after}^{{commit}}", deadline)
            pusher = Pusher(job.actor or None, f"{forge.type}-webhook")
            push = gather(repo, [update], before, loaded, pusher, (), datetime.now(UTC),
                          deadline, repository=job.repository)  # fmt: skip
        verdict = evaluate(loaded.policy, loaded.signers, push, budget=deadline)
        checked = len({o for ref in push.refs for c in ref.commits_by_rule.values() for o in c})
        found = (
            about_history(verdict.violations)
            if job.kind == "pull_request"
            else list(verdict.violations)
        )
        result = result_of(verdict, found, checked, version)
        result["policy_commit"] = loaded.policy_commit  # None: the policy is a directory
        return result, target, found


def _fetch(
    mirror: Mirror, repo: Repo, job: Job, deadline: Deadline
) -> tuple[RefUpdate, RefsBefore]:
    """Fetch what the job needs; the update to judge and the refs before it."""
    if job.kind == "pull_request":
        private = f"{PRIVATE}pull/{job.number}"
        mirror.fetch([f"+refs/pull/{job.number}/head:{private}", f"+{job.ref}:{job.ref}"])
        _have(mirror, repo, job.after, deadline)
        tips = _tips(repo, deadline)
        base = tips.get(job.ref)
        if base is None:
            raise GitError(f"the base branch {job.ref} is not on the forge")
        return RefUpdate(base, job.after, job.ref), RefsBefore(tips)
    if not job.before:  # a re-run of a branch: from where the mirror last saw it
        job = job._replace(before=_tips(repo, deadline).get(job.ref, "0" * len(job.after)))
    if not is_zero_oid(job.after):
        mirror.fetch([f"+{job.ref}:{job.ref}"])
        _have(mirror, repo, job.after, deadline)
    if not is_zero_oid(job.before) and not is_zero_oid(job.after):
        _have(mirror, repo, job.before, deadline)  # a force-push's old tip, for the check
    tips = _tips(repo, deadline)
    tips.pop(job.ref, None)  # the mirror's copy already holds the new tip: use the forge's
    if not is_zero_oid(job.before):
        tips[job.ref] = job.before
    return RefUpdate(job.before, job.after, job.ref), RefsBefore(tips)


def _tips(repo: Repo, deadline: Deadline) -> dict[str, str]:
    return {r: o for r, o in repo.refs(deadline).tips.items() if not r.startswith(PRIVATE)}


def _have(mirror: Mirror, repo: Repo, oid: str, deadline: Deadline) -> None:
    """Make sure object `oid` is in the mirror: the ref may have moved on since the delivery."""
    try:
        repo.object_type(oid, deadline)
        return
    except GitError:
        pass
    mirror.fetch([oid])
    repo.object_type(oid, deadline)  # GitError: the forge no longer has it


def _violation(v: Violation) -> dict[str, object]:
    return {"rule_id": v.rule_id, "mode": v.mode, "ref": v.ref, "oid": v.oid,
            "message": v.message, "hint": v.hint}  # fmt: skip


def result_of(
    verdict: Verdict, found: list[Violation], checked: int, version: str
) -> dict[str, object]:
    """What a job records and its report shows."""
    blocking = [v for v in found if v.mode == "enforce"]
    warnings = [v for v in found if v.mode == "warn"]
    if blocking:
        first = blocking[0]
        state = "failure"
        description = wording.failure(f"{first.rule_id}: {first.message}", len(blocking))
    else:
        state = "warning" if warnings else "success"
        description = wording.success(checked, len(warnings))
    ordered = blocking + [v for v in found if v.mode != "enforce"]
    return {
        "state": state,
        "description": description,
        "policy_version": version,
        "commits_checked": checked,
        "violations_total": len(found),
        "violations": [_violation(v) for v in ordered[:REPORT_VIOLATIONS]],
        "bypasses": len(verdict.bypasses),
    }


def final_status(result: Mapping[str, object], context: str, url: str | None) -> CommitStatus:
    state = str(result.get("state", "error"))
    if state == "error":
        return CommitStatus("error", wording.error(str(result.get("error", "?"))), context, url)
    description = str(result.get("description", ""))
    return CommitStatus(state, description, context, url)  # type: ignore[arg-type]

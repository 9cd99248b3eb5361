"""Assembling a job worker from the configuration: forge clients, posters, the judge, the
reconciliation sweep, metrics. `gitward worker` (and `gitward serve`'s child) run this."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from gitward.config.forges_file import ForgeInstance, ForgesConfig
from gitward.forges.delivery import Job
from gitward.receiver import github_app, metrics
from gitward.receiver.forge_client import ForgeClient
from gitward.receiver.jobs import JobRecord
from gitward.receiver.judge import Judge
from gitward.receiver.mirror import mirror_path
from gitward.receiver.posters import poster_for
from gitward.receiver.queue import Queue, RetryLater, Runner

LOG = logging.getLogger("gitward.receiver")
SWEEP_EVERY = 600.0


def clients(
    forges: ForgesConfig, environ: Mapping[str, str] | None = None
) -> dict[str, ForgeClient]:
    """One client per forge instance (credentials read now, once)."""
    counters = metrics.create()
    return {
        f.name: github_app.connect(
            f,
            environ,
            on_call=lambda forge, status: counters.forge_calls.labels(forge, status).inc(),
            on_retry=lambda forge, what: counters.retries.labels(forge, what).inc(),
        )
        for f in forges.forges
    }


def judge(policy: Path, forges: ForgesConfig, by_forge: Mapping[str, ForgeClient]) -> Judge:
    def credentials(forge: ForgeInstance, repository: str) -> tuple[str, bytes]:
        # GitHub takes an installation or personal token as the password of
        # `x-access-token`; Gitea takes a token as the password of any user name.
        return "x-access-token", by_forge[forge.name].token_for(repository).encode()

    posters = {name: poster_for(client) for name, client in by_forge.items()}
    return Judge(policy, forges, posters, credentials)


def runner(run: Judge) -> Runner:
    """`run` with its outcome counted (jobs by state, latency, violations by rule)."""
    counters = metrics.create()

    def measure(record: JobRecord) -> dict[str, object]:
        try:
            result = run(record)
        except RetryLater:
            counters.retries.labels(record.job.forge, "job").inc()
            raise
        counters.jobs.labels(record.job.forge, str(result.get("state"))).inc()
        if record.created:
            counters.job_seconds.observe(max(time.time() - record.created, 0.0))
        found = result.get("violations")
        for violation in found if isinstance(found, list) else []:
            counters.verdicts.labels(str(violation.get("rule_id"))).inc()
        return result

    return measure


def sweep(queue: Queue, forges: ForgesConfig, by_forge: Mapping[str, ForgeClient]) -> int:
    """Queue a job for every open pull request head of the served repositories that carries
    no gitward status yet (deliveries that never arrived: GitHub does not redeliver failed
    ones by itself, Gitea never retries). Repositories are those named without a glob in
    forges.yaml and those the receiver has mirrored. Returns the number of jobs queued."""
    queued = 0
    context = forges.receiver.status_context
    for forge in forges.forges:
        client = by_forge[forge.name]
        for repository in served(forges, forge):
            try:
                for head in client.open_pulls(repository):
                    if client.current_status(repository, head.sha, context) is not None:
                        continue
                    job = Job(forge.name, repository, "pull_request", head.ref, "", head.sha,
                              head.number, "sweep")  # fmt: skip
                    queued += int(queue.submit(job)[1])
            except RetryLater as later:
                LOG.warning("sweep of %s/%s postponed: %s", forge.name, repository, later)
            except Exception:  # one repository's trouble must not stop the others
                LOG.exception("sweep of %s/%s failed", forge.name, repository)
    return queued


def served(forges: ForgesConfig, forge: ForgeInstance) -> list[str]:
    names = {g for g in forge.repositories if "*" not in g}
    root = mirror_path(forges.receiver.data_dir, forge, "x/y").parent.parent
    if root.is_dir():
        for owner in root.iterdir():
            for repo in owner.glob("*.git"):
                name = f"{owner.name}/{repo.name.removesuffix('.git')}"
                if forge.serves(name):
                    names.add(name)
    return sorted(names)


def sweep_periodically(
    queue: Queue,
    forges: ForgesConfig,
    by_forge: Mapping[str, ForgeClient],
    every: float,
    stop: threading.Event,
) -> threading.Thread:
    def loop() -> None:
        while True:
            try:
                sweep(queue, forges, by_forge)
            except Exception:
                LOG.exception("reconciliation sweep failed")
            if stop.wait(every):
                return

    thread = threading.Thread(target=loop, name="gitward-sweep", daemon=True)
    thread.start()
    return thread

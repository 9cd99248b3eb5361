"""Where a verdict goes on the forge: a commit status (token mode), or a check run with
per-commit annotations (GitHub App mode, so the required check can be bound to the App and
nobody with write access can forge it)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from gitward.forges.status import CommitStatus
from gitward.model import Violation
from gitward.receiver import github_app
from gitward.receiver.forge_client import ForgeClient


class StatusPoster:
    """Commit statuses, posted only when they change."""

    def __init__(self, client: ForgeClient) -> None:
        self.client = client

    def post_status(self, repository: str, sha: str, status: CommitStatus) -> None:
        self.client.post_status(repository, sha, status)

    def post_final(
        self, repository: str, sha: str, status: CommitStatus, violations: Sequence[Violation]
    ) -> None:
        self.client.post_status(repository, sha, status)


class CheckRunPoster:
    """A check run per job: created in progress with the pending status, completed with the
    verdict and its annotations."""

    def __init__(self, client: ForgeClient) -> None:
        self.client = client
        self._runs: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def post_status(self, repository: str, sha: str, status: CommitStatus) -> None:
        run = github_app.start_check_run(
            self.client, repository, sha, status.context, status.target_url
        )
        with self._lock:
            self._runs[(repository, sha, status.context)] = run

    def post_final(
        self, repository: str, sha: str, status: CommitStatus, violations: Sequence[Violation]
    ) -> None:
        with self._lock:
            run = self._runs.pop((repository, sha, status.context), None)
        if run is None:  # the pending call did not get through: start one now
            run = github_app.start_check_run(
                self.client, repository, sha, status.context, status.target_url
            )
        github_app.complete_check_run(self.client, repository, run, status, violations)


def poster_for(client: ForgeClient) -> StatusPoster | CheckRunPoster:
    return CheckRunPoster(client) if client.forge.app is not None else StatusPoster(client)

"""The receiver's worker judge, in process: a config directory whose forges.yaml points at a git
server on loopback, and a poster that records what would have been sent to the forge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import gwreceiver

from gitward.config import forges_file
from gitward.config.forges_file import ForgeInstance
from gitward.forges.status import CommitStatus
from gitward.model import Violation
from gitward.receiver.judge import Judge

Credentials = Callable[[ForgeInstance, str], tuple[str, bytes]]


class Recorder:
    """Stands for both forges' status posters: `posted` holds (repository, sha, status)."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, str, CommitStatus]] = []
        self.violations: list[Violation] = []

    @property
    def statuses(self) -> list[CommitStatus]:
        return [status for _, _, status in self.posted]

    def post_status(self, repository: str, sha: str, status: CommitStatus) -> None:
        self.posted.append((repository, sha, status))

    def post_final(
        self, repository: str, sha: str, status: CommitStatus, violations: Sequence[Violation]
    ) -> None:
        self.posted.append((repository, sha, status))
        self.violations = list(violations)


def judge(
    etc: Path,
    git_url: str,
    data_dir: Path,
    recorder: Recorder,
    credentials: Credentials = lambda forge, repository: ("", b""),
) -> Judge:
    """A worker's judge for the policy in `etc`, fetching from `git_url` into `data_dir`
    (forges.yaml written there, beside the policy)."""
    gwreceiver.write_forges(etc, git_url=git_url, data_dir=data_dir)
    config = forges_file.load(etc / "forges.yaml")
    return Judge(etc / "policy.yaml", config, {"gh": recorder, "tea": recorder}, credentials)

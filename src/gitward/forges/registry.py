"""The forge types gitward speaks, by the `type` of a forges.yaml entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from gitward.forges import delivery, gitea, github
from gitward.forges.status import CommitStatus, Request


class Forge(Protocol):
    """What the receiver needs of a forge type (a module: `forges.github`, `forges.gitea`)."""

    TYPE: str

    def parse(
        self, forge: str, event: str, payload: Mapping[str, object], delivery_id: str
    ) -> delivery.Outcome: ...

    def status_request(self, repository: str, sha: str, status: CommitStatus) -> Request: ...

    def statuses_request(self, repository: str, sha: str) -> Request: ...

    def signature_header(self, headers: Mapping[str, str]) -> tuple[str | None, str]: ...

    def event_of(self, headers: Mapping[str, str]) -> tuple[str | None, str | None]: ...


FORGES: dict[str, Forge] = {"github": github, "gitea": gitea}

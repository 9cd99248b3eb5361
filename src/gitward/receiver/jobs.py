"""Job records: what the receiver promised to judge, durable from the moment it answered.

The queue library (huey) only carries job ids to workers. Which jobs exist, their state and
their result live in a `JobStore` beside it, because a queue library loses a task whose worker
was killed mid-job (it has already taken it off the queue): a record left `running` by a dead
worker, or `queued` but never picked up, is queued again by `reclaim` (at worker start and
periodically). Running a job twice is harmless: a status is posted only when it changes.

States: queued -> running -> done; queued -> superseded (a newer head of the same pull
request arrived first); running -> queued (a worker shutting down gives it back).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from typing import Literal, NamedTuple, Protocol

from gitward.forges.delivery import Job

State = Literal["queued", "running", "done", "superseded"]


class JobRecord(NamedTuple):
    id: str  # unguessable: it is also the report's URL
    job: Job
    state: State
    owner: str = ""  # "host:pid" of the worker running it
    lease_until: float = 0.0
    created: float = 0.0
    result: dict[str, object] | None = None  # the verdict, when done


def new_id() -> str:
    """128 random bits, URL-safe: a report link cannot be guessed or enumerated."""
    return secrets.token_urlsafe(16)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_dead(owner: str) -> bool:
    """True when `owner` ran on this host and its process is gone (kill -9, crash)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's worker: only its lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def encode_job(job: Job) -> str:
    return json.dumps(job._asdict(), separators=(",", ":"))


def decode_job(text: str | bytes) -> Job:
    fields = json.loads(text)
    return Job(**fields)


class JobStore(Protocol):
    def submit(self, job: Job, now: float) -> tuple[str, bool]:
        """Store `job` durably; (id, True) when new, (existing id, False) for a duplicate
        (same `job.key`). A queued job with the same `supersede_key` becomes superseded."""

    def claim(self, job_id: str, owner: str, lease: float, now: float) -> JobRecord | None:
        """Take a queued (or abandoned running) job; None when it is done, superseded or
        running under a live lease."""

    def finish(self, job_id: str, owner: str, result: dict[str, object]) -> None: ...

    def release(self, job_id: str, owner: str) -> None:
        """Give a running job back to the queue (graceful shutdown)."""

    def reclaim(self, now: float, stale_after: float) -> list[str]:
        """Ids to enqueue again: running jobs whose worker died or whose lease ran out (made
        queued again), and jobs queued for longer than `stale_after` seconds."""

    def get(self, job_id: str) -> JobRecord | None: ...

    def finished_since(self, since: float, limit: int) -> list[JobRecord]:
        """Jobs done at or after `since` (epoch seconds), newest first, at most `limit`."""

    def depth(self) -> int:
        """Jobs queued or running."""

    def ping(self) -> None:
        """Raise when the store cannot be used (for /readyz)."""

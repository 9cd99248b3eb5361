"""Both job stores list the jobs finished since a time, newest first (the admin page's chart)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from gitward.forges.delivery import Job
from gitward.receiver.queue import Queue


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Queue:
    if request.param == "sqlite":
        return Queue(f"sqlite:///{tmp_path / 'queue.db'}")
    url: str = request.getfixturevalue("redis_url")
    return Queue(url)


def finish(queue: Queue, state: str) -> str:
    job = Job("gh", f"acme/{uuid.uuid4().hex[:8]}", "push", "refs/heads/main", "", "a" * 40,
              None, "d")  # fmt: skip
    job_id, _ = queue.store.submit(job, time.time())
    queue.store.claim(job_id, "me", 60, time.time())
    queue.store.finish(job_id, "me", {"state": state})
    return job_id


def test_finished_jobs_newest_first(queue: Queue) -> None:
    since = time.time() - 1
    first = finish(queue, "success")
    time.sleep(0.01)
    second = finish(queue, "failure")
    queue.store.submit(Job("gh", "acme/q", "push", "refs/heads/x", "", "b" * 40, None, "e"), 0)
    found = queue.store.finished_since(since, 1000)
    ids = [r.id for r in found]
    assert ids.index(second) < ids.index(first)
    assert {r.result["state"] for r in found if r.id in (first, second)} == {  # type: ignore[index]
        "success",
        "failure",
    }
    assert all(r.state == "done" for r in found)
    assert queue.store.finished_since(time.time() + 60, 10) == []
    assert len(queue.store.finished_since(since, 1)) == 1

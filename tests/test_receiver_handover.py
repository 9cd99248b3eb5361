"""The embedded queue's intake writes one row; workers asking for work get it handed over.

`SqliteStore.hand_over` writes huey's messages in the transaction that marks the records woken
(`huey_sqlite`); these tests hold it to that, and to the older guarantee that a wake-up lost on
the way (a worker killed after taking the message, before claiming the job) is made up.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

from gitward.forges.delivery import Job
from gitward.receiver import store_sqlite
from gitward.receiver.jobs import JobRecord
from gitward.receiver.queue import Queue
from gitward.receiver.store_sqlite import SqliteStore


def job(after: str = "a" * 40, number: int | None = 7) -> Job:
    return Job("gh", f"acme/{uuid.uuid4().hex[:8]}", "pull_request", "refs/heads/main", "",
               after, number, "d")  # fmt: skip


def sqlite_queue(tmp_path: Path, **kwargs: float) -> Queue:
    return Queue(f"sqlite:///{tmp_path / 'queue.db'}", **kwargs)


def test_intake_writes_only_the_record_and_the_first_worker_asking_gets_it(
    tmp_path: Path,
) -> None:
    queue = sqlite_queue(tmp_path)
    job_id, created = queue.submit(job())
    assert created
    assert queue.huey.pending_count() == 0  # no message written at intake
    task = queue.huey.dequeue()
    assert task is not None
    assert task.args == (job_id,)
    assert queue.huey.dequeue() is None  # handed over once, not at every ask
    assert queue.store.get(job_id).state == "queued"  # type: ignore[union-attr]


def test_a_wake_that_fails_takes_its_message_back_and_leaves_the_job_for_next_time(
    tmp_path: Path,
) -> None:
    queue = sqlite_queue(tmp_path)
    job_id, _ = queue.submit(job())

    def wake_then_fail(given: str) -> None:
        queue.enqueue(given)  # writes huey's message inside the hand-over's transaction
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        assert isinstance(queue.store, SqliteStore)
        queue.store.hand_over(wake_then_fail)
    assert queue.huey.pending_count() == 0  # rolled back with the marks
    task = queue.huey.dequeue()
    assert task is not None
    assert task.args == (job_id,)


def test_a_head_superseded_before_any_worker_looked_is_not_handed_over(
    tmp_path: Path,
) -> None:
    queue = sqlite_queue(tmp_path)
    store = queue.store
    assert isinstance(store, SqliteStore)
    old, _ = queue.submit(first := job())
    new, _ = queue.submit(first._replace(after="b" * 40))
    woken: list[str] = []
    assert store.hand_over(woken.append) == 1
    assert woken == [new]
    assert store.hand_over(woken.append) == 0
    assert store.get(old).state == "superseded"  # type: ignore[union-attr]


def test_two_stores_handing_over_at_once_wake_each_job_once(tmp_path: Path) -> None:
    ids = [sqlite_queue(tmp_path).submit(job())[0] for _ in range(60)]
    woken: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        store = SqliteStore(tmp_path / "queue.db")  # its own connections, as another process
        barrier.wait()
        while store.hand_over(woken.append, limit=7):
            pass

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(woken) == sorted(ids)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_job_whose_wake_up_was_lost_still_runs(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    if backend == "redis":
        # A database of its own: reclaiming with stale_after=0 takes every queued job.
        url = request.getfixturevalue("redis_url").removesuffix("/0") + "/9"
    queue = Queue(url, stale_after=0.0)
    if backend == "redis":
        queue.store.client.flushdb()  # type: ignore[attr-defined]
    job_id, _ = queue.submit(job())
    taken = queue.huey.dequeue()  # by a worker killed before it claimed the job
    assert taken is not None
    assert taken.args == (job_id,)
    assert queue.huey.dequeue() is None
    time.sleep(0.01)
    assert queue.reclaim() >= 1
    ran: list[str] = []

    def runner(record: JobRecord) -> dict[str, object]:
        ran.append(record.id)
        return {"state": "success"}

    queue.serve(runner)
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
    assert ran == [job_id]
    assert queue.store.get(job_id).state == "done"  # type: ignore[union-attr]


def test_a_queue_file_from_before_the_hand_over_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    with sqlite3.connect(path) as db:  # the table as intake used to write it
        db.execute(
            "CREATE TABLE gitward_jobs (id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, "
            "supersede_key TEXT, state TEXT NOT NULL, job TEXT NOT NULL, "
            "owner TEXT NOT NULL DEFAULT '', lease_until REAL NOT NULL DEFAULT 0, "
            "created REAL NOT NULL, updated REAL NOT NULL, result TEXT)"
        )
        old = job()
        db.execute(
            "INSERT INTO gitward_jobs (id, key, state, job, created, updated) "
            "VALUES ('old', ?, 'queued', ?, 1, 1)",
            (old.key, '{"forge": "gh"}'),
        )
    db.close()
    queue = sqlite_queue(tmp_path)
    store = queue.store
    assert isinstance(store, SqliteStore)
    assert store.hand_over(lambda _: pytest.fail("its message was written when it came in")) == 0
    assert store.submit(old, time.time()) == ("old", False)
    new, _ = queue.submit(job())
    task = queue.huey.dequeue()
    assert task is not None
    assert task.args == (new,)


def test_writers_queue_on_the_lock_file_not_on_sqlites_sleeps(tmp_path: Path) -> None:
    queue = sqlite_queue(tmp_path)
    done = threading.Event()

    def submit() -> None:
        queue.submit(job())
        done.set()

    fd = os.open(tmp_path / "queue.db.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer, mid-transaction
        thread = threading.Thread(target=submit)
        thread.start()
        assert not done.wait(0.3)
        fcntl.flock(fd, fcntl.LOCK_UN)
        assert done.wait(10)  # handed over as soon as it is free
        thread.join(10)
    finally:
        os.close(fd)


def test_a_writer_waits_for_a_stopped_holder_only_so_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = sqlite_queue(tmp_path)
    monkeypatch.setattr(store_sqlite, "LOCK_SECONDS", 0.3)
    fd = os.open(tmp_path / "queue.db.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a writer stopped mid-transaction, never releasing
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            queue.submit(job())
        assert 0.3 <= time.monotonic() - started < 5
    finally:
        os.close(fd)
    queue.submit(job())  # released: the next delivery goes in


def test_huey_uses_the_stores_connection_and_closing_it_opens_a_fresh_one(
    tmp_path: Path,
) -> None:
    queue = sqlite_queue(tmp_path)
    store = queue.store
    assert isinstance(store, SqliteStore)
    before = store.connection()
    assert queue.huey.storage.conn is before
    assert queue.huey.storage.close()  # as huey does before forking process workers
    with pytest.raises(sqlite3.ProgrammingError):
        before.execute("SELECT 1")
    job_id, _ = queue.submit(job())
    assert store.connection() is not before
    task = queue.huey.dequeue()
    assert task is not None
    assert task.args == (job_id,)

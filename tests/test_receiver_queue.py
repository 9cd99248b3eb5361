"""The job queue on both back ends: durable, idempotent, and nothing lost to a killed worker."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord, worker_identity
from gitward.receiver.queue import Queue, RetryLater

SHA = "a" * 40


def job(after: str = SHA, number: int | None = 7, repo: str | None = None) -> Job:
    return Job("gh", repo or f"acme/{uuid.uuid4().hex[:8]}", "pull_request",
               "refs/heads/main", "", after, number, "d")  # fmt: skip


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Queue:
    if request.param == "sqlite":
        return Queue(f"sqlite:///{tmp_path / 'queue.db'}", lease=60, stale_after=60)
    url: str = request.getfixturevalue("redis_url")
    return Queue(url, lease=60, stale_after=60)


def dead_owner() -> str:
    """The identity of a worker process that has died (as after kill -9)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    host = worker_identity().rpartition(":")[0]
    return f"{host}:{proc.pid}"


def test_submit_is_idempotent_and_supersedes_older_heads(queue: Queue) -> None:
    first = job()
    job_id, created = queue.store.submit(first, time.time())
    assert created
    assert queue.store.submit(first._replace(delivery_id="other"), time.time()) == (job_id, False)
    newer, _ = queue.store.submit(first._replace(after="b" * 40), time.time())
    assert queue.store.get(job_id).state == "superseded"  # type: ignore[union-attr]
    assert queue.store.get(newer).state == "queued"  # type: ignore[union-attr]
    assert queue.store.depth() >= 1


def test_a_job_is_claimed_once_however_many_workers_ask(queue: Queue) -> None:
    job_id, _ = queue.store.submit(job(), time.time())
    winners: list[JobRecord] = []
    barrier = threading.Barrier(8)

    def ask(i: int) -> None:
        barrier.wait()
        got = queue.store.claim(job_id, f"w{i}", 60, time.time())
        if got is not None:
            winners.append(got)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert winners[0].state == "running"


def test_a_job_left_by_a_killed_worker_is_queued_again(queue: Queue) -> None:
    job_id, _ = queue.store.submit(job(), time.time())
    assert queue.store.claim(job_id, dead_owner(), 3600, time.time()) is not None
    assert job_id in queue.store.reclaim(time.time(), 60)
    again = queue.store.claim(job_id, "next", 60, time.time())
    assert again is not None
    assert again.owner == "next"


def test_a_live_workers_job_is_left_alone_until_its_lease_runs_out(queue: Queue) -> None:
    job_id, _ = queue.store.submit(job(), time.time())
    queue.store.claim(job_id, worker_identity(), 60, time.time())
    assert job_id not in queue.store.reclaim(time.time(), 3600)
    assert queue.store.claim(job_id, "other", 60, time.time()) is None
    later = time.time() + 120
    assert job_id in queue.store.reclaim(later, 3600)


def test_released_and_stale_jobs_come_back(queue: Queue) -> None:
    job_id, _ = queue.store.submit(job(), time.time())
    queue.store.claim(job_id, "me", 60, time.time())
    queue.store.release(job_id, "me")
    assert queue.store.get(job_id).state == "queued"  # type: ignore[union-attr]
    # queued but never picked up (the enqueue was lost): found after `stale_after`
    assert job_id in queue.store.reclaim(time.time() + 120, 60)


def test_finish_keeps_the_result_and_leaves_the_queue(queue: Queue) -> None:
    job_id, _ = queue.store.submit(job(), time.time())
    queue.store.claim(job_id, "me", 60, time.time())
    queue.store.finish(job_id, "me", {"state": "success"})
    record = queue.store.get(job_id)
    assert record is not None
    assert (record.state, record.result) == ("done", {"state": "success"})
    assert queue.store.claim(job_id, "me", 60, time.time()) is None


def test_jobs_run_through_a_real_consumer(queue: Queue) -> None:
    from huey.consumer import Consumer

    ran: list[str] = []
    retried = threading.Event()

    def runner(record: JobRecord) -> dict[str, object]:
        if record.job.number == 2 and not retried.is_set():
            retried.set()
            raise RetryLater("forge down", delay=0.1)
        ran.append(record.id)
        return {"state": "success"}

    queue.serve(runner)
    ids = [queue.submit(job(number=n))[0] for n in (1, 2, 3)]

    class InTest(Consumer):  # type: ignore[misc]
        def _set_signal_handlers(self) -> None:
            pass  # pytest's own handlers stay

    consumer = InTest(queue.huey, workers=2, worker_type="thread", periodic=False,
                      initial_delay=0.01, max_delay=0.05)  # fmt: skip
    consumer.start()
    try:
        deadline = time.monotonic() + 20
        while len(ran) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
    assert sorted(ran) == sorted(ids)
    assert all(queue.store.get(i).state == "done" for i in ids)  # type: ignore[union-attr]


def test_a_process_that_does_not_serve_jobs_refuses_to_run_one(tmp_path: Path) -> None:
    queue = Queue(f"sqlite:///{tmp_path / 'q.db'}")
    job_id, _ = queue.store.submit(job(), time.time())
    with pytest.raises(RuntimeError, match="does not run jobs"):
        queue._run(job_id)
    assert queue.store.get(job_id).state == "queued"  # type: ignore[union-attr]


def test_a_runner_that_breaks_gives_the_job_back(tmp_path: Path) -> None:
    queue = Queue(f"sqlite:///{tmp_path / 'q.db'}")

    def broken(record: JobRecord) -> dict[str, object]:
        raise KeyboardInterrupt  # a shutdown in the middle of the job

    queue.serve(broken)
    job_id, _ = queue.store.submit(job(), time.time())
    with pytest.raises(KeyboardInterrupt):
        queue._run(job_id)
    assert queue.store.get(job_id).state == "queued"  # type: ignore[union-attr]


def test_reclaim_enqueues_again_and_runs_periodically(tmp_path: Path) -> None:
    queue = Queue(f"sqlite:///{tmp_path / 'q.db'}", stale_after=0.0)
    queue.store.submit(job(), time.time() - 10)
    before = queue.huey.pending_count()
    assert queue.reclaim() == 1
    assert queue.huey.pending_count() == before + 1
    stop = threading.Event()
    thread = queue.reclaim_periodically(0.01, stop)
    time.sleep(0.1)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert queue.huey.pending_count() > before + 1  # the loop found it again (stale after 0 s)


def test_a_delayed_enqueue_is_scheduled_not_run_now(tmp_path: Path) -> None:
    queue = Queue(f"sqlite:///{tmp_path / 'q.db'}")
    queue.enqueue("some-id", delay=60)
    (task,) = queue.huey.pending()
    assert task.args == ("some-id",)
    assert task.eta is not None  # the consumer holds it back until then


def test_an_unknown_queue_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown queue URL scheme: amqp"):
        Queue("amqp://localhost/")


def test_redis_calls_have_bounded_waits() -> None:
    # No server needed: the pool only connects on first use.
    queue = Queue("redis://127.0.0.1:9/0")
    kwargs = queue.store.client.connection_pool.connection_kwargs  # type: ignore[attr-defined]
    assert kwargs["socket_timeout"] == 10
    assert kwargs["socket_connect_timeout"] == 5
    assert queue.huey.storage.pool is queue.store.client.connection_pool  # type: ignore[attr-defined]


def test_the_embedded_store_logs_each_commit_and_checkpoints_rarely(tmp_path: Path) -> None:
    from gitward.receiver.store_sqlite import CHECKPOINT_PAGES, SqliteStore

    db = SqliteStore(tmp_path / "q.db").connection()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: no fsync per commit
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == CHECKPOINT_PAGES > 1000

"""The job queue: huey carries job ids to workers; a `JobStore` keeps what must not be lost.

`sqlite:///PATH` (embedded, the default: one file, no service) or `redis://HOST:PORT/DB`
(several receivers and workers on several hosts). Both give the same results with one worker
or eight: a job is claimed in the store before it runs, so a duplicate message is a no-op.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord, JobStore, worker_identity

TASK = "gitward.job"
LOG = logging.getLogger("gitward.receiver")
Runner = Callable[[JobRecord], dict[str, object]]


class RetryLater(Exception):  # control flow, not an error
    """The job could not finish for a reason that passes (the forge is down): run it again
    after `delay` seconds."""

    def __init__(self, reason: str, delay: float = 30.0) -> None:
        super().__init__(reason)
        self.delay = delay


class Queue:
    """The store and the huey instance for one queue URL."""

    def __init__(self, url: str, *, lease: float = 300.0, stale_after: float = 60.0) -> None:
        self.url, self.lease, self.stale_after = url, lease, stale_after
        self.store, self.huey, self.outbox = _open(url)
        self._runner: Runner | None = None
        self._task = self.huey.task(name=TASK)(self._run)
        if self.outbox:  # SQLite: workers take new jobs from the store (`huey_sqlite`)
            self.huey.storage.wake = self._task

    def submit(self, job: Job) -> tuple[str, bool]:
        """Store `job` durably and hand it to a worker; (id, False) for a duplicate."""
        job_id, created = self.store.submit(job, time.time())
        if created and not self.outbox:
            self._task(job_id)  # lost if we die right here: `reclaim` finds it queued
        return job_id, created

    def enqueue(self, job_id: str, delay: float = 0.0) -> None:
        if delay > 0:
            self._task.schedule(args=(job_id,), delay=delay)
        else:
            self._task(job_id)

    def reclaim(self) -> int:
        """Queue again what a dead worker left running or what was never picked up."""
        ids = self.store.reclaim(time.time(), self.stale_after)
        for job_id in ids:
            self.enqueue(job_id)
        if ids:
            LOG.warning("requeued %d abandoned job(s)", len(ids))
        return len(ids)

    def serve(self, runner: Runner) -> None:
        """Make this process a worker: jobs taken off the queue run `runner`."""
        self._runner = runner

    def _run(self, job_id: str) -> None:
        if self._runner is None:
            raise RuntimeError("this process does not run jobs")
        owner = worker_identity()
        record = self.store.claim(job_id, owner, self.lease, time.time())
        if record is None:
            return  # done, superseded, or running elsewhere
        try:
            result = self._runner(record)
        except RetryLater as later:
            self.store.release(job_id, owner)
            LOG.warning("job %s will run again in %.0f s: %s", job_id, later.delay, later)
            self.enqueue(job_id, later.delay)
            return
        except BaseException:
            # Interrupted (shutdown) or a bug the runner did not turn into an error status:
            # give it back, so it is never silently dropped.
            self.store.release(job_id, owner)
            raise
        self.store.finish(job_id, owner, result)

    def reclaim_periodically(self, every: float, stop: threading.Event) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(every):
                try:
                    self.reclaim()
                except Exception:  # the next round tries again
                    LOG.exception("reclaiming abandoned jobs failed")

        thread = threading.Thread(target=loop, name="gitward-reclaim", daemon=True)
        thread.start()
        return thread


def _open(url: str) -> tuple[JobStore, Any, bool]:
    """(the job store, huey, whether huey's workers take new jobs from the store itself)."""
    # Imported here: the hook never imports the receiver, but `gitward --help` must not pay.
    if url.startswith("sqlite:///"):
        from huey import Huey  # noqa: PLC0415

        from gitward.receiver.huey_sqlite import SharedSqliteStorage  # noqa: PLC0415
        from gitward.receiver.store_sqlite import SqliteStore  # noqa: PLC0415

        path = Path(url.removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        store = SqliteStore(path)
        # huey on the store's connections, its messages written from the store's records.
        shared = SharedSqliteStorage
        return store, Huey("gitward", results=False, storage_class=shared, store=store), True
    if url.startswith(("redis://", "rediss://")):
        import redis  # noqa: PLC0415
        from huey import RedisHuey  # noqa: PLC0415

        from gitward.receiver.store_redis import RedisStore  # noqa: PLC0415

        # Bounded waits: a Redis that stops answering must not hold a webhook request (or a
        # worker) forever. One pool for the store and huey; huey's blocking pop waits 1 s.
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=5, socket_timeout=10)
        client = redis.Redis(connection_pool=pool)
        return RedisStore(client), RedisHuey("gitward", connection_pool=pool, results=False), False
    raise ValueError(f"unknown queue URL scheme: {url.split(':', 1)[0]}")

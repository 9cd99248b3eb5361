"""The embedded job store: one SQLite table, in the same file as huey's queue.

Intake writes one row per delivery and nothing else: the job's record, with `woken = 0`. The
job workers' huey storage (`huey_sqlite`) hands such rows to huey whenever a worker asks for
work, marking them woken in the transaction that writes huey's messages, so a record is never
without its message once a worker has looked, and never has two (the transactional outbox
pattern). huey's tables are reached through these same connections.

Every change is one transaction (`BEGIN IMMEDIATE`) in WAL mode with synchronous=NORMAL: an
accepted delivery is in the database file's log before the receiver answers, so it survives
the receiver's restart, a crash or kill -9 of any of its processes. It is not fsynced on every
commit (that cost ~70% of intake throughput on a 2-core machine): after a power loss of the
host the last deliveries may be gone, and the reconciliation sweep, which queues every open
pull request head without a gitward status, is what brings them back. Connections are per
thread (gunicorn workers are processes, huey's workers threads), each with a busy timeout
instead of failing on a lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord, decode_job, encode_job, new_id, owner_is_dead

TABLE = """
CREATE TABLE IF NOT EXISTS gitward_jobs (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  supersede_key TEXT,
  state TEXT NOT NULL,
  job TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  lease_until REAL NOT NULL DEFAULT 0,
  created REAL NOT NULL,
  updated REAL NOT NULL,
  result TEXT,
  woken INTEGER NOT NULL DEFAULT 1
)"""
# A table made before `woken` existed: its jobs had their huey messages written at intake.
WOKEN = "ALTER TABLE gitward_jobs ADD COLUMN woken INTEGER NOT NULL DEFAULT 1"
INDEXES = (
    "CREATE INDEX IF NOT EXISTS gitward_jobs_active ON gitward_jobs (state, updated)",
    # Pull requests only (pushes supersede nothing): a push's insert writes one index less.
    "DROP INDEX IF EXISTS gitward_jobs_supersede",
    "CREATE INDEX IF NOT EXISTS gitward_jobs_supersede_pr ON gitward_jobs (supersede_key, state) "
    "WHERE supersede_key IS NOT NULL",
)
CHECKPOINT_PAGES = 10_000
# How long a writer waits for the writers' lock file, as SQLite's own busy timeout: a holder
# that is stopped (SIGSTOP, a debugger) must not hold every delivery and worker forever.
LOCK_SECONDS = 30.0
_COLUMNS = "id, job, state, owner, lease_until, created, result"


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.transaction() as db:  # idempotent, and one process at a time
            db.execute(TABLE)
            columns = {row[1] for row in db.execute("PRAGMA table_info(gitward_jobs)")}
            if "woken" not in columns:
                db.execute(WOKEN)
            for index in INDEXES:
                db.execute(index)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: transactions are explicit, `transaction`)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # see the module docstring
            # Copy the log back into the database every ~40 MB, not SQLite's ~4 MB: a
            # checkpoint costs two fsyncs that stall every writer (measured at ~40 us per
            # delivery at the default), and it rewrites each changed page once however often
            # it changed. Durability is the same: each commit is in the log either way.
            db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on this thread's connection, committed when the block ends
        (rolled back when it raises)."""
        db, lock = self.connection(), self._writers_lock()
        # Writers queue on a file lock first: SQLite's own wait for its write lock sleeps
        # 1, 2, 5, 10... ms between tries, an eternity beside a sub-millisecond transaction,
        # and with two web workers writing it idled them for most of their time. Polling the
        # file lock at steps of 50 µs to 1 ms takes it almost as soon as it is released, and
        # a bounded wait (`_wait_for`). A holder that dies releases it.
        self._wait_for(lock)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self) -> bool:
        """Close this thread's connection and lock file, if open; True when there were."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        lock: int | None = getattr(self._local, "lock", None)
        self._local.db = self._local.lock = None
        if db is not None:
            db.close()
        if lock is not None:
            os.close(lock)
        return db is not None

    def _wait_for(self, lock: int) -> None:
        """Take the writers' lock, polling at sub-millisecond steps (a transaction holds it
        well under a millisecond); sqlite3.OperationalError after LOCK_SECONDS, as SQLite's
        busy timeout would say."""
        deadline, pause = time.monotonic() + LOCK_SECONDS, 0.00005
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError(
                        f"database is locked: {self.path.name}.lock held for over "
                        f"{LOCK_SECONDS:g} s"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.001)

    def _writers_lock(self) -> int:
        # One descriptor per thread: flock excludes open file descriptions, not processes,
        # so threads sharing one descriptor would not exclude each other.
        fd: int | None = getattr(self._local, "lock", None)
        if fd is None:
            name = self.path.with_name(self.path.name + ".lock")
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._local.lock = fd
        return fd

    def submit(self, job: Job, now: float) -> tuple[str, bool]:
        # Everything computed before the write lock is taken: other writers wait for it.
        job_id, key, supersede = new_id(), job.key, job.supersede_key
        row = (job_id, key, supersede, encode_job(job), now, now)
        with self.transaction() as db:
            # The insert is the duplicate check (`key` is unique): one statement for a new job.
            added = db.execute(
                "INSERT INTO gitward_jobs "
                "(id, key, supersede_key, state, job, created, updated, woken) "
                "VALUES (?, ?, ?, 'queued', ?, ?, ?, 0) ON CONFLICT (key) DO NOTHING",
                row,
            ).rowcount
            if not added:
                found = db.execute("SELECT id FROM gitward_jobs WHERE key = ?", (key,)).fetchone()
                return str(found[0]), False
            if supersede is not None:
                db.execute(
                    "UPDATE gitward_jobs SET state = 'superseded', updated = ? "
                    "WHERE supersede_key = ? AND state = 'queued' AND id != ?",
                    (now, supersede, job_id),
                )
        return job_id, True

    def hand_over(self, wake: Callable[[str], None], limit: int = 100) -> int:
        """Call `wake(id)` for each queued job not yet woken (oldest first, at most `limit`),
        in one transaction that marks them woken: `wake` writes through this thread's
        connection (`huey_sqlite`), so the marks and the messages commit together, and a
        `wake` that raises leaves them all for the next call. Returns how many were woken."""
        # Through the index of queued jobs rather than one of its own, which every delivery
        # would have to write: this walks the queued jobs once per ask, and a worker asks
        # once per job it runs, a job taking far longer than the walk.
        find = (
            "SELECT id FROM gitward_jobs WHERE state = 'queued' AND woken = 0 "
            "ORDER BY updated LIMIT ?"
        )
        if self.connection().execute(find, (limit,)).fetchone() is None:
            return 0  # the common case, found without taking the write lock
        with self.transaction() as db:
            ids = [str(row[0]) for row in db.execute(find, (limit,)).fetchall()]
            for job_id in ids:
                db.execute("UPDATE gitward_jobs SET woken = 1 WHERE id = ?", (job_id,))
                wake(job_id)
        return len(ids)

    def claim(self, job_id: str, owner: str, lease: float, now: float) -> JobRecord | None:
        with self.transaction() as db:
            changed = db.execute(
                "UPDATE gitward_jobs SET state = 'running', owner = ?, lease_until = ?, "
                "updated = ? WHERE id = ? AND (state = 'queued' OR "
                "(state = 'running' AND lease_until < ?))",
                (owner, now + lease, now, job_id, now),
            ).rowcount
        return self.get(job_id) if changed == 1 else None

    def finish(self, job_id: str, owner: str, result: dict[str, object]) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE gitward_jobs SET state = 'done', result = ?, updated = ? "
                "WHERE id = ? AND owner = ?",
                (json.dumps(result), time.time(), job_id, owner),
            )

    def release(self, job_id: str, owner: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE gitward_jobs SET state = 'queued', owner = '', lease_until = 0 "
                "WHERE id = ? AND owner = ? AND state = 'running'",
                (job_id, owner),
            )

    def reclaim(self, now: float, stale_after: float) -> list[str]:
        with self.transaction() as db:
            running = db.execute(
                "SELECT id, owner, lease_until FROM gitward_jobs WHERE state = 'running'"
            ).fetchall()
            lost = [i for i, owner, until in running if until < now or owner_is_dead(owner)]
            for job_id in lost:
                db.execute(
                    "UPDATE gitward_jobs SET state = 'queued', owner = '', lease_until = 0, "
                    "updated = ?, woken = 1 WHERE id = ?",
                    (now, job_id),
                )
            waiting = db.execute(
                "SELECT id FROM gitward_jobs WHERE state = 'queued' AND updated < ?",
                (now - stale_after,),
            ).fetchall()
            for (job_id,) in waiting:
                db.execute(
                    "UPDATE gitward_jobs SET updated = ?, woken = 1 WHERE id = ?", (now, job_id)
                )
        return [*lost, *(str(i) for (i,) in waiting)]

    def get(self, job_id: str) -> JobRecord | None:
        row = (
            self.connection()
            .execute(f"SELECT {_COLUMNS} FROM gitward_jobs WHERE id = ?", (job_id,))  # noqa: S608
            .fetchone()
        )
        if row is None:
            return None
        rid, job, state, owner, lease_until, created, result = row
        verdict = json.loads(result) if result else None
        return JobRecord(rid, decode_job(job), state, owner, lease_until, created, verdict)

    def finished_since(self, since: float, limit: int) -> list[JobRecord]:
        rows = (
            self.connection()
            .execute(
                "SELECT id FROM gitward_jobs WHERE state = 'done' AND updated >= ? "
                "ORDER BY updated DESC LIMIT ?",
                (since, limit),
            )
            .fetchall()
        )
        found = [self.get(str(r[0])) for r in rows]
        return [r for r in found if r is not None]

    def depth(self) -> int:
        row = (
            self.connection()
            .execute("SELECT count(*) FROM gitward_jobs WHERE state IN ('queued', 'running')")
            .fetchone()
        )
        return int(row[0])

    def ping(self) -> None:
        self.connection().execute("SELECT 1 FROM gitward_jobs LIMIT 1").fetchall()

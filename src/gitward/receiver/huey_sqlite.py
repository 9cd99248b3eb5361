"""huey's SQLite storage on the job store's own connections, fed from the store's new jobs.

Intake stores a job's record and nothing else (one write per delivery: a second write for
huey's message, on a connection of its own, was most of what a delivery cost). A worker
asking huey for work first has the store hand over the jobs no worker has been told about
(`SqliteStore.hand_over`): their huey messages are written in the transaction that marks the
records woken, because huey's tables, in the same file, are reached through the store's
per-thread connections and a write huey makes while that transaction is open joins it. huey
keeps doing the rest (scheduling, retries, its consumer); its queries and tables are unchanged.
A new job waits no longer than before: huey's consumer polls SQLite either way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from huey.storage import SqliteStorage

from gitward.receiver.store_sqlite import SqliteStore


class SharedSqliteStorage(SqliteStorage):  # type: ignore[misc]  # huey ships no types
    """huey's `SqliteStorage`, its connections borrowed from `store` (which owns them)."""

    def __init__(self, name: str, store: SqliteStore, **kwargs: Any) -> None:
        self.store = store  # before huey's __init__, which creates its tables through `db`
        # Enqueues huey's message for a job id; set by the `Queue` once its task exists.
        self.wake: Callable[[str], None] | None = None
        super().__init__(name, filename=str(store.path), **kwargs)

    def dequeue(self) -> bytes | None:
        if self.wake is not None:
            self.store.hand_over(self.wake)
        message: bytes | None = super().dequeue()
        return message

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.connection()

    def close(self) -> bool:
        """Close this thread's connection (huey does before forking process workers: a
        SQLite connection must not cross a fork); the next use opens a fresh one."""
        return self.store.close()

    @contextmanager
    def db(self, commit: bool = False, close: bool = False) -> Iterator[sqlite3.Cursor]:
        """A cursor on this thread's connection. With `commit`, huey's statements run in a
        write transaction: the store's, when one is open (they commit or roll back with it),
        else one of their own. Connections are per thread, so huey's process-wide lock is not
        needed; `close` (huey's schema set-up asks for it) is left to `close()`."""
        conn = self.store.connection()
        if commit and not conn.in_transaction:
            with self.store.transaction() as own:
                yield from _cursor(own)
        else:
            yield from _cursor(conn)


def _cursor(conn: sqlite3.Connection) -> Iterator[sqlite3.Cursor]:
    cursor = conn.cursor()
    try:
        yield cursor
    finally:
        cursor.close()

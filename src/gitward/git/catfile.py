"""The long-lived `git cat-file --batch` process behind `Repo.read_objects`.

One process per repository answers every object request of a run, so a push of 10,000 commits
costs one spawn, not 10,000. Requests that could fill the pipe are written by a helper thread,
so git never blocks writing answers we are not reading yet (no deadlock); an alarm kills git
when the deadline passes, which ends a blocked read. Only commits and tags are kept in memory,
and blobs up to the size a caller asks for (content checks).
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import IO

from gitward.deadline import Deadline
from gitward.errors import BudgetExceeded, GitError

# Below this many request bytes, writing to cat-file cannot block (the pipe holds it all).
_SMALL_REQUEST = 4096
_CHECK_EVERY = 100
# Larger commits or tags are refused (no real one comes close; a hostile one costs memory).
MAX_OBJECT = 32 * 2**20


class CatFile:
    """One `git cat-file --batch` in `path` with `env`, started on first use and restarted
    after an interrupted read. Call `close()` when done."""

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self._path, self._env = path, env
        self._proc: subprocess.Popen[bytes] | None = None
        self._reading = False

    def close(self) -> None:
        """Stop the process, if one was started."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

    def read(
        self, oids: Sequence[str], dl: Deadline, blob_limit: int = -1
    ) -> Generator[tuple[str, str, bytes, int], None, None]:
        """`Repo.read_objects`: `(oid, type, content, size)` for each id, in order. A missing
        object raises `GitError` (fail closed); trees, and blobs larger than `blob_limit`,
        come back as b"" (see `_read_one`).
        Stopping the iteration early discards the process (its pipe still holds answers) and
        the next call starts a new one."""
        if not oids:
            return
        for oid in oids:
            if not oid.isalnum():  # no whitespace: one request per line
                raise GitError(f"refusing odd object name {oid!r}")
        if self._reading:
            raise GitError("objects are already being read (finish one read_objects first)")
        dl.check("reading objects")
        proc = self._process()
        stdin, stdout = proc.stdin, proc.stdout
        if stdin is None or stdout is None:  # pragma: no cover  # Popen(PIPE) sets both
            raise GitError("git cat-file has no pipes")
        alarm = dl.alarm(proc.kill)
        writer = _write_request(stdin, "".join(f"{oid}\n" for oid in oids).encode())
        complete = False
        self._reading = True
        try:
            for i, oid in enumerate(oids):
                if i % _CHECK_EVERY == 0:
                    dl.check("reading objects")
                try:
                    item = _read_one(stdout, oid, blob_limit)
                except GitError:
                    if alarm.fired:
                        raise BudgetExceeded("timed out reading objects") from None
                    raise
                yield item
            complete = True
        finally:
            self._reading = False
            alarm.cancel()
            if not complete:
                self._discard()
            if writer is not None:
                writer.join()

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self._path,
                    env=self._env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as exc:
                raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        return self._proc

    def _discard(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    # A broken pipe to a killed process: nothing left to flush.
                    with contextlib.suppress(OSError):
                        pipe.close()


def _read_one(stdout: IO[bytes], oid: str, blob_limit: int = -1) -> tuple[str, str, bytes, int]:
    """One `<oid> SP <type> SP <size> LF <content> LF` answer (git-cat-file(1), BATCH OUTPUT).

    Commits and tags are kept (up to `MAX_OBJECT` bytes, else `GitError`), blobs up to
    `blob_limit` bytes (content checks ask for them), trees never: a ref pushed at a huge blob
    must not fill memory."""
    header = stdout.readline()
    if not header.endswith(b"\n"):
        raise GitError("git cat-file stopped before answering")
    parts = header.split()
    if len(parts) == 2 and parts[1] == b"missing":
        raise GitError(f"object {oid} is missing from the repository")
    if len(parts) != 3 or parts[0].decode("ascii", "replace") != oid or not parts[2].isdigit():
        raise GitError(f"unexpected answer from git cat-file for {oid}")
    kind, size = parts[1].decode("ascii", "replace"), int(parts[2])
    if kind in ("commit", "tag") and size > MAX_OBJECT:
        raise GitError(f"{kind} {oid} is larger than {MAX_OBJECT // 2**20} MiB")
    if kind in ("commit", "tag") or (kind == "blob" and size <= blob_limit):
        body = stdout.read(size)
        got = len(body)
    else:
        body, got = b"", 0
        while got < size and (chunk := stdout.read(min(size - got, 1 << 16))):
            got += len(chunk)
    if got != size or stdout.read(1) != b"\n":
        raise GitError(f"object {oid} was cut short")
    return oid, kind, body, size


def _write_request(stdin: IO[bytes], request: bytes) -> threading.Thread | None:
    def write() -> None:
        try:
            stdin.write(request)
            stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # git died; the reader sees end of file and reports it

    if len(request) <= _SMALL_REQUEST:
        write()
        return None
    thread = threading.Thread(target=write, name="gitward-cat-file-writer", daemon=True)
    thread.start()
    return thread

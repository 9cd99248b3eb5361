"""One bare mirror per repository under data_dir, fetched with only what a job needs.

The clone URL is built from the configured `git_url` and the validated `owner/repo`, never
taken from a payload; nothing from a payload reaches an option position (`--end-of-options`);
only the configured protocols are allowed; the token reaches git through an askpass helper and
the environment, never argv, a URL or a log line. A fetch is bounded in time and in the bytes it
may write. One lock per mirror: two jobs of a repository fetch one after the other.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from gitward.config.forges_file import ForgeInstance
from gitward.errors import GitError

# Answers git's username and password prompts from the environment it was given.
ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$GITWARD_GIT_USERNAME" ;;
  *) printf '%s\\n' "$GITWARD_GIT_PASSWORD" ;;
esac
"""
FETCH_SECONDS = 120.0
FETCH_BYTES = 2 * 1024**3
LOCK_SECONDS = 300.0
# What git needs of the worker's environment; nothing else (no GIT_* a caller set) reaches it.
_KEEP_ENV = frozenset(
    {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
     "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"}
)  # fmt: skip


def mirror_path(data_dir: Path, forge: ForgeInstance, repository: str) -> Path:
    owner, _, name = repository.partition("/")
    return data_dir / "mirrors" / forge.name / owner / f"{name}.git"


class Mirror:
    """A bare repository mirroring (parts of) one forge repository."""

    def __init__(
        self,
        data_dir: Path,
        forge: ForgeInstance,
        repository: str,
        *,
        allow_insecure_loopback: bool = False,
        username: str = "",
        password: bytes = b"",
    ) -> None:
        self.path = mirror_path(data_dir, forge, repository)
        self.url = forge.clone_url(repository)
        self._askpass = data_dir / "git-askpass"
        self._protocols = ("https", "http", "git") if allow_insecure_loopback else ("https",)
        self._credentials = (username, password)

    @contextmanager
    def locked(self, seconds: float = LOCK_SECONDS) -> Iterator[Mirror]:
        """Hold the mirror's lock (created on first use); GitError when it stays taken."""
        self._create()
        fd = os.open(self.path / "gitward.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            deadline = time.monotonic() + seconds
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise GitError(f"the mirror of {self.url} stayed locked") from None
                    time.sleep(0.05)
            yield self
        finally:
            os.close(fd)

    def _create(self) -> None:
        if (self.path / "HEAD").exists():
            return
        # GitPython manages the mirror's creation and configuration; the hook never loads it.
        import git  # noqa: PLC0415

        self.path.mkdir(parents=True, exist_ok=True)
        repo = git.Repo.init(self.path, bare=True)
        with repo.config_writer() as config:
            config.set_value("gc", "auto", "0")  # a worker must not stall on a gc mid-job
            config.set_value("core", "logAllRefUpdates", "false")
        repo.close()
        if not self._askpass.exists():
            tmp = self._askpass.with_suffix(f".{os.getpid()}")
            tmp.write_text(ASKPASS)
            tmp.chmod(0o700)
            tmp.replace(self._askpass)

    def fetch(
        self,
        refspecs: Sequence[str],
        *,
        seconds: float = FETCH_SECONDS,
        max_bytes: int = FETCH_BYTES,
    ) -> None:
        """`git fetch <url> <refspecs>` into the mirror. Refspecs are built by the caller
        from validated names or object ids only. Raises GitError (including a timeout or a
        fetch larger than `max_bytes`)."""
        for spec in refspecs:
            if spec.startswith("-") or any(c in spec for c in "\0\n "):
                raise GitError(f"refusing odd refspec {spec[:80]!r}")
        allow = [f"protocol.{p}.allow=always" for p in self._protocols]
        config = [
            "protocol.allow=never",
            *allow,
            "credential.helper=",
            "http.followRedirects=false",
        ]
        argv = ["git", *(a for c in config for a in ("-c", c)), "fetch", "--quiet", "--no-tags",
                "--no-write-fetch-head", "--end-of-options", self.url, *refspecs]  # fmt: skip
        self._run(argv, seconds, max_bytes)

    def _env(self) -> Mapping[str, str]:
        username, password = self._credentials
        env = {k: v for k, v in os.environ.items() if k in _KEEP_ENV}
        env.update(
            GIT_DIR=str(self.path),
            GIT_TERMINAL_PROMPT="0",
            GIT_ASKPASS=str(self._askpass),
            GIT_CONFIG_NOSYSTEM="1",
            GITWARD_GIT_USERNAME=username,
            GITWARD_GIT_PASSWORD=password.decode("utf-8", "replace"),
        )
        return env

    def _run(self, argv: list[str], seconds: float, max_bytes: int) -> None:
        before = _size(self.path / "objects")
        # stderr to a file: a pipe nobody reads while we poll could fill and stall git.
        with tempfile.TemporaryFile() as err:
            self._watch(argv, err, seconds, max_bytes, before)

    def _watch(self, argv: list[str], err: IO[bytes], seconds: float, max_bytes: int,
               before: int) -> None:  # fmt: skip
        proc = subprocess.Popen(argv, cwd=self.path, env=self._env(),
                                stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
        deadline = time.monotonic() + seconds
        problem = None
        while proc.poll() is None:
            if time.monotonic() > deadline:
                problem = f"fetching from {self.url} took longer than {seconds:g} s"
            elif _size(self.path / "objects") - before > max_bytes:
                problem = f"fetching from {self.url} wrote more than {max_bytes} bytes"
            if problem:
                proc.kill()
                proc.wait()
                raise GitError(problem)
            time.sleep(0.1)
        if proc.returncode != 0:
            err.seek(0)
            text = err.read(65536).decode("utf-8", "replace")
            lines = [ln for ln in text.splitlines() if ln.strip()]
            raise GitError(f"git fetch from {self.url} failed: {(lines or ['?'])[-1][:300]}")


def _size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # a temporary file git just renamed
                total += (Path(root) / name).lstat().st_size
    return total

"""A real `git daemon` on 127.0.0.1 serving every repository under a folder (git://)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gwredis
import gwrepo


def _start(base: Path, receive_pack: bool) -> tuple[subprocess.Popen[bytes], int] | None:
    port = gwredis.free_port()
    args = ["git", "daemon", "--reuseaddr", "--export-all", "--informative-errors",
            f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}"]  # fmt: skip
    if receive_pack:
        args.append("--enable=receive-pack")
    proc = subprocess.Popen(
        [*args, str(base)], env=gwrepo.clean_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        if proc.poll() is not None:
            return None  # lost the race for the port: the caller tries another
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    proc.wait(timeout=10)
    return None


@contextmanager
def git_daemon(base: Path, *, receive_pack: bool = False) -> Iterator[str]:
    """Serve `base`; yield the git:// URL of its root."""
    started = next((s for s in (_start(base, receive_pack) for _ in range(3)) if s), None)
    if started is None:
        raise RuntimeError("git daemon did not start listening on 127.0.0.1")
    proc, port = started
    try:
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

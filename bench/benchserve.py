"""Processes for the receiver figures: `gitward serve`, `gitward worker`, the no-work baseline
server and a git daemon, on free loopback ports, each logging to a file in the run's temp dir.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import benchforge as forge

HERE = Path(__file__).parent
FORGES = """\
version: 1
receiver:
  allow_insecure_loopback: true
  data_dir: {data}
  public_url: http://127.0.0.1:{port}
forges:
  - name: gh
    type: github
    api_url: {api_url}
    git_url: {git_url}
    webhook_secret: env:GW_BENCH_SECRET
    token: env:GW_BENCH_TOKEN
    repositories: ["acme/*"]
"""
ENV = {
    **os.environ,
    "GW_BENCH_SECRET": forge.SECRET,
    "GW_BENCH_TOKEN": forge.TOKEN,
    "GITWARD_LOG_LEVEL": "WARNING",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def write_forges(etc: Path, data: Path, port: int, api_url: str, git_url: str) -> Path:
    """forges.yaml beside the policy in `etc` (the embedded SQLite queue under `data`)."""
    text = FORGES.format(data=data, port=port, api_url=api_url, git_url=git_url)
    (etc / "forges.yaml").write_text(text)
    return etc


def gitward(*args: str) -> list[str]:
    return [sys.executable, "-m", "gitward", *args]


def serve(etc: Path, port: int, workers: int) -> list[str]:
    """`gitward serve --no-worker`: intake only; jobs wait for a `gitward worker`."""
    return gitward("serve", "--config", str(etc), "--bind", f"127.0.0.1:{port}",
                   "--workers", str(workers), "--no-worker")  # fmt: skip


def noop(port: int, workers: int) -> list[str]:
    """The baseline: gitward's own gunicorn set-up serving a route that does nothing."""
    script = HERE / "benchnoop.py"
    return [sys.executable, str(script), "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]


@contextmanager
def process(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `argv` until the block ends, then stop it as an operator would (SIGTERM)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, env=ENV, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """One POST; (status, JSON answer or text)."""
    request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310  # loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310  # loopback
            data, status = answer.read(), answer.status
    except urllib.error.HTTPError as exc:
        data, status = exc.read(), exc.code
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data.decode("utf-8", "replace")


def wait_up(base: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    """Wait until `base`/healthz answers 200; RuntimeError (quoting the log) if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-1500:]
    raise RuntimeError(f"{proc.args!r} did not come up:\n{tail}")


@contextmanager
def git_daemon(base: Path, log: Path) -> Iterator[str]:
    """A git daemon serving every repository under `base`; yields its git:// URL."""
    for _ in range(3):  # another process may take the free port first
        port = free_port()
        argv = ["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={base}",
                "--listen=127.0.0.1", f"--port={port}", str(base)]  # fmt: skip
        with process(argv, log) as proc:
            for _ in range(200):
                if proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                except OSError:
                    time.sleep(0.05)
                    continue
                yield f"git://127.0.0.1:{port}"
                return
    raise RuntimeError("git daemon did not start listening on 127.0.0.1")


def peak_rss_kib(pid: int) -> int:
    """The process's own peak resident set (VmHWM, KiB); its git children are not counted."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")

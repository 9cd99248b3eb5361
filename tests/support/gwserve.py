"""A real receiver for end-to-end tests: `gitward serve` (and `gitward worker`) processes on a
free loopback port, a forge double for the REST API and a git daemon for fetches."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gwforge
import gwkeys
import gwreceiver
import gwredis
import gwrepo
from gwpush import Signer, write_config

POLICY = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures: {signers: [alice]}
    messages: {must_match: '^JIRA-[0-9]+: '}
"""
FORGES = """\
version: 1
receiver:
  allow_insecure_loopback: true
  data_dir: {data}
  queue: {queue}
  public_url: http://127.0.0.1:{port}
forges:
  - name: {name}
    type: {kind}
    api_url: {api_url}
    git_url: {git_url}
    webhook_secret: env:GW_TEST_SECRET
    token: env:GW_TEST_TOKEN
    repositories: ["acme/*"]
"""


class Served:
    """The forge's side: a repository `acme/app` served by git daemon."""

    def __init__(self, root: Path) -> None:
        (root / "acme").mkdir(parents=True, exist_ok=True)
        self.repo = gwrepo.init(root / "acme" / "app.git")
        self.tree = gwrepo.empty_tree(self.repo)
        self._sign = functools.partial(gwkeys.ssh_signed_commit_object, "alice", self.tree)

    def signed(self, message: str, parents: list[str]) -> str:
        return gwrepo.write_object(self.repo, "commit", self._sign(parents, message.encode()))

    def unsigned(self, message: str, parents: list[str]) -> str:
        return gwrepo.commit(self.repo, message, parents)

    def set_ref(self, ref: str, oid: str) -> None:
        gwrepo.set_ref(self.repo, ref, oid)


def write_receiver_config(
    etc: Path, *, kind: str, api_url: str, git_url: str, port: int, queue: str = ""
) -> Path:
    write_config(etc, POLICY, {"alice": Signer(openpgp=False, ssh=True)})
    data = etc.parent / "data"
    text = FORGES.format(
        data=data,
        queue=queue or f"sqlite:///{data / 'queue.db'}",
        port=port,
        name="gh" if kind == "github" else "tea",
        kind=kind,
        api_url=api_url,
        git_url=git_url,
    )
    (etc / "forges.yaml").write_text(text)
    return etc


def env() -> dict[str, str]:
    return {**os.environ, **gwreceiver.ENV, "GITWARD_LOG_LEVEL": "WARNING"}


def gitward(*args: str) -> list[str]:
    return [sys.executable, "-m", "gitward", *args]


@contextmanager
def process(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, env=env(), stdout=out, stderr=subprocess.STDOUT)
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


def wait_until(what: str, check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def http(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(url, body or None, headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  # loopback
            data = answer.read()
            status = answer.status
    except urllib.error.HTTPError as exc:
        data, status = exc.read(), exc.code
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data.decode("utf-8", "replace")


def oversized_status(url: str, headers: dict[str, str], size: int) -> int:
    """The status a POST announcing a `size`-byte body gets after only its first bytes: the
    receiver must answer 413 without reading the rest."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}",
                 f"Content-Length: {size}", "Connection: close",
                 *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"{" * 1024)
        answer = conn.recv(64).decode("ascii", "replace")
    return int(answer.split(" ", 2)[1])


def up(base: str) -> bool:
    try:
        return http("GET", f"{base}/healthz")[0] == 200
    except OSError:
        return False


def free_port() -> int:
    return gwredis.free_port()


def statuses(double: gwforge.ForgeDouble, sha: str) -> list[tuple[str, str]]:
    """(state, description) of every status POSTed on `sha`, in order."""
    return [
        (s.json["state"], s.json.get("description", ""))
        for s in double.sent("POST", rf"/repos/acme/app/statuses/{sha}")
    ]

"""End to end: who the hook says is pushing, through real pushes over each transport a plain git
server offers. An identity comes only from something that authenticated the pusher: `git daemon`
authenticates nobody, however it was started, so the local account's name (listed in `bypass`
and `allowed_pushers` here) must never reach a push that came through it."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from gwpush import Client, Signer, audit, bare_repo, clean_env, server_refs, write_config

# The account the tests (and so the hooks they trigger) run as.
ACCOUNT = pwd.getpwuid(os.geteuid()).pw_name

POLICY = f"""\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: guarded
    refs: [refs/heads/main]
    protection:
      allowed_pushers: [{ACCOUNT}]
  - id: signed
    refs: [refs/heads/signed]
    bypass: [{ACCOUNT}]
    signatures:
      signers: [alice]
"""

# What a network pusher's hook could inherit from whoever started the daemon: it names the local
# account, which must not matter.
INHERITED = {"USER": ACCOUNT, "LOGNAME": ACCOUNT}
EXT_ALLOWED = {
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "protocol.ext.allow",
    "GIT_CONFIG_VALUE_0": "always",
}
DAEMON_ARGS = ["--inetd", "--export-all", "--enable=receive-pack"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "etc", POLICY, {"alice": Signer()})


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path) -> Client:
    c = Client(tmp_path / "work", gnupghome)
    c.commit("unsigned")
    return c


def assert_anonymous(client: Client, server: Path, config: Path, url: str) -> None:
    """Pushes as the local account would succeed are refused: nobody is named."""
    to_main = client.push(url, "HEAD:refs/heads/main", env={**INHERITED, **EXT_ALLOWED})
    assert not to_main.ok
    assert "gitward:   guarded/anonymous-pusher" in to_main.gitward, to_main.text
    assert audit(config)[-1]["pusher"] == {"name": None, "source": "git-daemon", "id": None}
    bypass = client.push(
        url,
        "HEAD:refs/heads/signed",
        options=["gitward.reason=urgent"],
        env={**INHERITED, **EXT_ALLOWED},
    )
    assert not bypass.ok
    assert any("signed/signature" in line for line in bypass.gitward), bypass.text
    assert audit(config)[-1]["bypasses"] == []
    assert server_refs(server) == {}


def test_local_push_is_the_local_account(client: Client, server: Path, config: Path) -> None:
    # The name comes from the account the push runs as, not from variables the pusher sets.
    result = client.push(server, "HEAD:refs/heads/main", env={"USER": "mallory"})
    assert result.ok, result.text
    assert audit(config)[-1]["pusher"] == {"name": ACCOUNT, "source": "local", "id": None}
    bypass = client.push(server, "HEAD:refs/heads/signed", options=["gitward.reason=urgent"])
    assert bypass.ok, bypass.text
    assert audit(config)[-1]["bypasses"][0]["actor"] == ACCOUNT


def test_git_daemon_inetd_over_ext_is_anonymous(client: Client, server: Path, config: Path) -> None:
    # `ext::` runs `git daemon --inetd` with the git:// request on its stdin: no REMOTE_ADDR.
    daemon = " ".join(["git", "daemon", *DAEMON_ARGS, f"--base-path={server.parent}"])
    url = f"ext::{daemon} %G/{server.name}"
    assert_anonymous(client, server, config, url)


@pytest.fixture
def inetd(server: Path) -> Iterator[str]:
    """A git:// URL served the way inetd or systemd socket activation serve it: each connection
    on the stdin and stdout of a fresh `git daemon --inetd`, started from an SSH session."""
    env = clean_env({**INHERITED, "SSH_CONNECTION": "192.0.2.9 50000 192.0.2.1 22"})
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                argv = ["git", "daemon", *DAEMON_ARGS, f"--base-path={server.parent}"]
                proc = subprocess.Popen(argv, stdin=conn.fileno(), stdout=conn.fileno(), env=env)
            proc.wait(timeout=60)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield f"git://127.0.0.1:{listener.getsockname()[1]}/{server.name}"
    finally:
        stop.set()
        thread.join(timeout=60)
        listener.close()


def test_inetd_git_daemon_is_anonymous(
    client: Client, server: Path, config: Path, inetd: str
) -> None:
    assert_anonymous(client, server, config, inetd)

"""End to end: one push that names a ref twice (delete it, then create it at an older commit)
is refused by the installed hook, although each line alone is a deletion and a creation.

git's receive-pack hands pre-receive both lines and, without atomic mode, applies them one
after the other: the ref ends up rewound, a force push that `block_force_push` must stop.
`git push` itself never sends such a push, so the tests speak to the server directly: once by
running the installed hook as receive-pack runs it, once by feeding raw protocol input to the
real `git receive-pack`.
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
from pathlib import Path

import pytest
from gwpush import Client, Pushed, bare_repo, clean_env, server_refs, write_config

POLICY = """\
version: 1
rules:
  - id: protect-release
    refs: [refs/heads/release]
    protection:
      block_force_push: true
"""
REF = "refs/heads/release"  # not the server's HEAD: git would refuse to delete that one anyway
ZERO = "0" * 40


class Server:
    def __init__(self, repo: Path, older: str, tip: str) -> None:
        self.repo, self.older, self.tip = repo, older, tip

    def rewind_lines(self) -> str:
        """Delete the ref at its tip, then create it again at the older commit."""
        return f"{self.tip} {ZERO} {REF}\n{ZERO} {self.older} {REF}\n"


@pytest.fixture
def server(tmp_path: Path, gnupghome: Path) -> Server:
    config = write_config(tmp_path / "etc", POLICY, {})
    repo = bare_repo(tmp_path / "srv" / "app.git", config)
    client = Client(tmp_path / "work", gnupghome)
    older = client.commit("first")
    tip = client.commit("second")
    assert client.push(repo, f"HEAD:{REF}").ok
    return Server(repo, older, tip)


def same_ref_twice(result: Pushed) -> bool:
    return any(line.startswith("gitward:   builtin/same-ref-twice") for line in result.gitward)


def test_the_installed_hook_refuses_a_ref_named_twice(server: Server) -> None:
    hook = server.repo / "hooks" / "pre-receive"
    proc = subprocess.run(
        [str(hook)],
        input=server.rewind_lines().encode(),
        capture_output=True,
        env=clean_env({"GIT_DIR": str(server.repo)}),
        cwd=server.repo,
        check=False,
        timeout=60,
    )
    result = Pushed(proc.returncode, proc.stderr)
    assert result.returncode != 0, result.text
    assert same_ref_twice(result), result.text
    assert "push the ref once" in result.text


def pkt(line: str) -> bytes:
    data = line.encode()
    return b"%04x" % (len(data) + 4) + data


def test_receive_pack_does_not_rewind_the_ref(server: Server) -> None:
    first, second = server.rewind_lines().splitlines()
    commands = pkt(f"{first}\0report-status\n") + pkt(f"{second}\n") + b"0000"
    # A create needs a pack; its objects are already there, so an empty one will do.
    empty = b"PACK" + struct.pack(">II", 2, 0)
    proc = subprocess.run(
        ["git", "receive-pack", str(server.repo)],
        input=commands + empty + hashlib.sha1(empty, usedforsecurity=False).digest(),
        capture_output=True,
        env=clean_env(),
        check=False,
        timeout=60,
    )
    assert f"ng {REF} pre-receive hook declined".encode() in proc.stdout, proc.stdout
    assert same_ref_twice(Pushed(1, proc.stderr)), proc.stderr.decode()
    assert server_refs(server.repo)[REF] == server.tip

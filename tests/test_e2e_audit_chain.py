"""End to end: real pushes through the installed hook (accepted, refused, failed closed, several at
once) and real `gitward signers` edits write one chain that `gitward audit verify` accepts, and a
line an admin deletes afterwards is found."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gwkeys
from gwpush import Client, Signer, audit, bare_repo, write_config

from gitward.audit import chain, link

POLICY = """\
version: 1
settings:
  timeout_seconds: 60
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [alice]
"""


def gitward(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitward", *argv], capture_output=True, text=True, check=False
    )


def test_pushes_and_signer_edits_write_one_chain(tmp_path: Path, gnupghome: Path) -> None:
    config = write_config(tmp_path / "etc", POLICY, {"alice": Signer()})
    server = bare_repo(tmp_path / "srv" / "app.git", config)
    client = Client(tmp_path / "work", gnupghome)
    client.commit("signed", sign=("openpgp", "alice"))
    assert client.push(server, "HEAD:refs/heads/main").ok
    client.commit("not signed")
    assert not client.push(server, "HEAD:refs/heads/main").ok
    add = ["signers", "add", "bob", "--name", "Bob", "--email", "bob@example.com"]
    add += ["--gpg-key", str(gwkeys.KEYS_DIR / "bob.pub.asc"), "--config", str(config)]
    assert gitward(*add).returncode == 0
    assert gitward("signers", "remove", "bob", "--config", str(config)).returncode == 0
    config.write_text(POLICY.replace("[alice]", "[nobody]"))  # invalid: no such signer
    assert not client.push(server, "HEAD:refs/heads/main").ok  # an "error" line, still chained

    records = audit(config)
    assert [(r["event"], r.get("verdict")) for r in records] == [
        ("push", "accepted"),
        ("push", "refused"),
        ("signers.add", None),
        ("signers.remove", None),
        ("push", "error"),
    ]
    raw = (config.parent / "audit.jsonl").read_bytes().splitlines(keepends=True)
    assert records[0]["prev"] == link.GENESIS
    assert [r["prev"] for r in records[1:]] == [link.digest(x) for x in raw[:-1]]
    verified = gitward("audit", "verify", "--config", str(config.parent))
    assert verified.returncode == 0, verified.stdout
    assert "chain intact (5 lines" in verified.stdout

    # An admin removes the refused push from the record.
    (config.parent / "audit.jsonl").write_bytes(b"".join([raw[0], *raw[2:]]))
    verified = gitward("audit", "verify", "--config", str(config.parent))
    assert verified.returncode == 1
    assert verified.stdout.startswith(f"{config.parent / 'audit.jsonl'}:2: prev is not the hash")


def test_concurrent_pushes_keep_one_chain(tmp_path: Path, gnupghome: Path) -> None:
    config = write_config(tmp_path / "etc", POLICY, {"alice": Signer()})
    servers = [bare_repo(tmp_path / "srv" / f"app{i}.git", config) for i in range(4)]
    client = Client(tmp_path / "work", gnupghome)
    client.commit("signed", sign=("openpgp", "alice"))

    def push_all(server: Path) -> bool:
        return all(client.push(server, f"HEAD:refs/heads/b{n}").ok for n in range(3))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(push_all, servers))
    records = audit(config)
    assert len(records) == 12
    assert {r["repository"] for r in records} == {str(s) for s in servers}
    state = chain.state(config.parent / "audit.jsonl")
    assert state.intact and state.lines == 12
    assert json.loads((config.parent / "audit.jsonl").read_text().splitlines()[0])["prev"] == (
        link.GENESIS
    )

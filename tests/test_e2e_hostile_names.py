"""End to end: ref names and messages chosen to break the hook's output, through real pushes.

git allows any byte but ASCII controls and a few punctuation characters in a ref name, so a
pusher can name a branch with a byte that is not UTF-8 (0xFF) or with U+009B, the 8-bit CSI
that starts a terminal escape sequence. Neither may crash the audit write (which would refuse a
push whose only finding is a warning) nor act on, or be hidden from, whoever reads the report.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gwpush import Client, Signer, audit, bare_repo, clean_env, write_config

POLICY = r"""
version: 1
rules:
  - id: hostile
    refs: ["refs/heads/hostile/**"]
    signatures:
      signers: [alice]
  - id: style
    refs: ["refs/heads/**"]
    mode: warn
    messages:
      conventional_commits: true
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "etc", POLICY, {"alice": Signer()})


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path) -> Client:
    return Client(tmp_path / "work", tmp_path / "no-gnupg")  # nothing here is signed


def server_ref_names(repo: Path) -> list[bytes]:
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)"],
        cwd=repo,
        capture_output=True,
        env=clean_env(),
        check=True,
    )
    return out.stdout.splitlines()


def gitward_bytes(stderr: bytes) -> bytes:
    """gitward's lines of a push's stderr, as raw bytes (git's own lines left out)."""
    return b"\n".join(line for line in stderr.splitlines() if b"gitward:" in line)


def test_a_ref_name_that_is_not_utf8_is_accepted_warned_and_audited(
    client: Client, server: Path, config: Path
) -> None:
    client.commit("not a conventional subject")  # only the warn-mode rule applies
    ref = "refs/heads/raw" + os.fsdecode(b"\xff")  # git gets the byte 0xFF (surrogateescape)
    result = client.push(server, f"HEAD:{ref}")
    assert result.ok, result.text
    assert os.fsencode(ref) in server_ref_names(server)
    assert any(r"refs/heads/raw\xff: style/conventional-commits" in line for line in result.gitward)
    assert "push accepted (1 commit checked)" in result.gitward[-1]
    log = config.parent / "audit.jsonl"
    assert log.read_bytes().isascii()
    record = audit(config)[-1]  # parses as JSON
    assert record["verdict"] == "accepted"
    assert record["ref_updates"][0]["ref"] == r"refs/heads/raw\xff"
    assert [(v["ref"], v["mode"]) for v in record["violations"]] == [
        (r"refs/heads/raw\xff", "warn")
    ]


def test_escape_sequences_in_a_ref_name_and_a_message_are_shown_not_obeyed(
    client: Client, server: Path
) -> None:
    client.commit("red \x1b[31malert\x1b[0m \x1b]52;c;ZXZpbA==\x07")  # unsigned: refused
    ref = "refs/heads/hostile/c1\x9b31mRED"  # U+009B: git stores it as the bytes C2 9B
    result = client.push(server, f"HEAD:{ref}")
    assert not result.ok
    ours = gitward_bytes(result.stderr)
    for raw in (b"\x1b", b"\x07", "\x9b".encode()):
        assert raw not in ours, (raw, ours)
    # Nothing deleted: the ref is named as it is, the message shows what it carries.
    assert rb"ref refs/heads/hostile/c1\x9b31mRED" in ours
    assert rb"red \x1b[31malert\x1b[0m \x1b]52;c;ZXZpbA==\x07" in ours

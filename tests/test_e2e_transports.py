"""End to end over the other ways pushes arrive: a network transport (`git daemon` on 127.0.0.1,
anonymous by nature), a Gitea-style layout (`hooks/pre-receive.d/` run by Gitea's runner, with
GITEA_* variables), and a SHA-256 repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gwdaemon
import pytest
from gwpush import (
    Client,
    Kind,
    Signer,
    audit,
    bare_repo,
    init_bare,
    server_refs,
    write_config,
)

from gitward.cli import main as gitward_main

POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: protect-main
    refs: [refs/heads/main, refs/heads/net]
    bypass: [alice]
    signatures:
      signers: [group:maintainers]
  - id: gitea-main
    refs: [refs/heads/main]
    protection:
      allowed_pushers: [alice]
"""

# What Gitea writes as hooks/pre-receive (modules/repository/hooks.go, in POSIX sh): run every
# executable in hooks/pre-receive.d with the same stdin, fail if any failed.
GITEA_RUNNER = """\
#!/bin/sh
data=$(cat)
exitcodes=""
hookname=$(basename "$0")
GIT_DIR=${GIT_DIR:-$(dirname "$0")/..}
for hook in "${GIT_DIR}/hooks/${hookname}.d"/*; do
  test -x "${hook}" && test -f "${hook}" || continue
  printf '%s\\n' "${data}" | "${hook}"
  exitcodes="${exitcodes} $?"
done
for i in ${exitcodes}; do
  [ "${i}" -eq 0 ] || exit "${i}"
done
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    signers = {"alice": Signer(ssh=True), "bob": Signer()}
    return write_config(tmp_path_factory.mktemp("etc"), POLICY, signers)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`git daemon` serving (and accepting pushes to) every repository under a folder."""
    base = tmp_path_factory.mktemp("daemon")
    with gwdaemon.git_daemon(base, receive_pack=True) as url:
        yield base, url


def served(
    tmp_path: Path, gnupghome: Path, config: Path, daemon: tuple[Path, str]
) -> tuple[Path, Client, str]:
    """A hooked bare repository served by the git daemon, its git:// URL, and a client."""
    base, url = daemon
    name = tmp_path.name + ".git"
    server = bare_repo(base / name, config)
    return server, Client(tmp_path / "work", gnupghome), f"{url}/{name}"


def test_git_daemon_push_is_judged_and_anonymous(
    tmp_path: Path, gnupghome: Path, config: Path, daemon: tuple[Path, str]
) -> None:
    server, client, remote = served(tmp_path, gnupghome, config, daemon)
    signed = client.commit("signed", sign=("ssh", "alice"))
    accepted = client.push(remote, "HEAD:refs/heads/net")
    assert accepted.ok, accepted.text
    assert accepted.gitward == ["gitward: push accepted (1 commit checked)"]
    assert server_refs(server)["refs/heads/net"] == signed
    record = audit(config)[-1]
    assert record["pusher"] == {"name": None, "source": "git-daemon", "id": None}
    # Only alice may push to main: an anonymous pusher cannot be her.
    to_main = client.push(remote, "HEAD:refs/heads/main")
    assert not to_main.ok
    assert "gitward:   gitea-main/anonymous-pusher" in to_main.gitward, to_main.text


def test_git_daemon_unsigned_refused_and_no_bypass_for_anonymous(
    tmp_path: Path, gnupghome: Path, config: Path, daemon: tuple[Path, str]
) -> None:
    server, client, remote = served(tmp_path, gnupghome, config, daemon)
    unsigned = client.commit("unsigned")
    result = client.push(remote, "HEAD:refs/heads/net", options=["gitward.reason=x"])
    assert not result.ok
    assert f"gitward:   protect-main/signature on {unsigned[:10]}" in result.gitward, result.text
    assert audit(config)[-1]["bypasses"] == []
    assert "refs/heads/net" not in server_refs(server)


def gitea_repo(root: Path, owner: str, name: str, config: Path) -> Path:
    repo = init_bare(root / owner / f"{name}.git")
    hooks = repo / "hooks"
    (hooks / "pre-receive").write_text(GITEA_RUNNER)
    (hooks / "pre-receive").chmod(0o755)
    (hooks / "pre-receive.d").mkdir()
    gitea_own = hooks / "pre-receive.d" / "gitea"  # Gitea's own check; consumes stdin
    gitea_own.write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
    gitea_own.chmod(0o755)
    return repo


def gitea_env(pusher: str, owner: str = "team", repo: str = "app") -> dict[str, str]:
    return {
        "GITEA_PUSHER_NAME": pusher,
        "GITEA_PUSHER_ID": "7",
        "GITEA_PUSHER_EMAIL": f"{pusher}@example.com",
        "GITEA_REPO_USER_NAME": owner,
        "GITEA_REPO_NAME": repo,
        "GITEA_REPO_ID": "1",
        "GITEA_IS_INTERNAL": "false",
        "SSH_CONNECTION": "192.0.2.1 5555 192.0.2.2 22",
        "USER": "git",
    }


def test_gitea_layout_with_pre_receive_d(tmp_path: Path, gnupghome: Path, config: Path) -> None:
    root = tmp_path / "gitea-repositories"
    server = gitea_repo(root, "team", "app", config)
    assert gitward_main(["install", "--gitea", str(root), "--config", str(config)]) == 0
    assert (server / "hooks" / "pre-receive").read_text() == GITEA_RUNNER  # Gitea's, untouched
    client = Client(tmp_path / "work", gnupghome)
    client.commit("signed", sign=("openpgp", "alice"))
    as_bob = client.push(server, "HEAD:refs/heads/main", env=gitea_env("bob"))
    assert not as_bob.ok
    assert any("gitea-main/pusher" in line for line in as_bob.gitward), as_bob.text
    as_alice = client.push(server, "HEAD:refs/heads/main", env=gitea_env("alice"))
    assert as_alice.ok, as_alice.text
    record = audit(config)[-1]
    assert record["repository"] == "team/app"
    assert record["pusher"] == {"name": "alice", "source": "gitea", "id": "7"}
    client.commit("unsigned")
    unsigned = client.push(server, "HEAD:refs/heads/main", env=gitea_env("alice"))
    assert not unsigned.ok
    assert any("protect-main/signature" in line for line in unsigned.gitward), unsigned.text


@pytest.mark.parametrize("kind", ["openpgp", "ssh"])
def test_sha256_repository(tmp_path: Path, gnupghome: Path, config: Path, kind: Kind) -> None:
    server = bare_repo(tmp_path / "srv" / "app.git", config, object_format="sha256")
    client = Client(tmp_path / "work", gnupghome, object_format="sha256")
    signed = client.commit("signed", sign=(kind, "alice"))
    assert len(signed) == 64
    assert "gpgsig-sha256 " in client.git("cat-file", "commit", signed)
    result = client.push(server, "HEAD:refs/heads/net")
    assert result.ok, result.text
    assert audit(config)[-1]["ref_updates"] == [
        {"ref": "refs/heads/net", "old": "0" * 64, "new": signed}
    ]
    unsigned = client.commit("unsigned")
    result = client.push(server, "HEAD:refs/heads/net")
    assert not result.ok
    assert f"gitward:   protect-main/signature on {unsigned[:10]}" in result.gitward, result.text

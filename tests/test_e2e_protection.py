"""End to end: ref protection, message rules, warn mode and bypass through real pushes, with the
pusher named the way GitHub Enterprise Server names it (GITHUB_USER_LOGIN), and the pusher's
terminal kept safe from what a commit message carries.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gwpush import Client, Pushed, Signer, audit, bare_repo, server_refs, write_config

POLICY = r"""
version: 1
settings:
  timeout_seconds: 30
pusher_groups:
  release-managers: [alice]
rules:
  - id: protect-main
    refs: [refs/heads/main]
    bypass: [group:release-managers]
    signatures:
      signers: [group:maintainers]
    messages:
      must_match: '^JIRA-[0-9]+: '
    protection:
      block_force_push: true
      block_deletion: true
      linear_history: true
  - id: releases
    refs: ["refs/heads/release/*"]
    protection:
      name_pattern: '^release/[0-9]+\.[0-9]+$'
      allowed_pushers: [group:release-managers]
  - id: frozen
    refs: ["refs/heads/frozen/*"]
    protection:
      block_creation: true
  - id: tags
    refs: ["refs/tags/**"]
    protection:
      immutable: true
  - id: style
    refs: ["refs/heads/**"]
    mode: warn
    messages:
      conventional_commits: true
"""


def ghes(login: str) -> dict[str, str]:
    """The variables GitHub Enterprise Server gives a pre-receive hook (a subset)."""
    return {
        "GITHUB_USER_LOGIN": login,
        "GITHUB_REPO_NAME": "org/app",
        "GITHUB_VIA": "git push",
        "GITHUB_USER_IP": "192.0.2.7",
        "GITHUB_REPO_PUBLIC": "false",
    }


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("etc"), POLICY, {"alice": Signer()})


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path, server: Path) -> Client:
    c = Client(tmp_path / "work", gnupghome)
    c.commit("JIRA-1: base", sign=("openpgp", "alice"))
    assert c.push(server, "HEAD:refs/heads/main").ok
    return c


def has(result: Pushed, rule_id: str) -> bool:
    return any(line.startswith(f"gitward:   {rule_id}") for line in result.gitward)


def test_force_push_is_refused(client: Client, server: Path) -> None:
    before = server_refs(server)["refs/heads/main"]
    client.git("checkout", "-q", "--orphan", "rewrite")
    client.commit("JIRA-2: rewritten history", sign=("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main", force=True)
    assert not result.ok
    assert has(result, "protect-main/force-push"), result.text
    assert server_refs(server)["refs/heads/main"] == before


def test_deletion_is_refused(client: Client, server: Path) -> None:
    result = client.push(server, ":refs/heads/main")
    assert not result.ok
    assert has(result, "protect-main/deletion"), result.text
    assert "refs/heads/main" in server_refs(server)


def test_merge_commit_breaks_linear_history(client: Client, server: Path) -> None:
    base = client.git("rev-parse", "HEAD")
    side = client.commit("JIRA-3: side", sign=("openpgp", "alice"))
    client.git("reset", "-q", "--soft", base)
    main = client.commit("JIRA-4: main", sign=("openpgp", "alice"))
    merge = client.commit("JIRA-5: merge", sign=("openpgp", "alice"), parents=[main, side])
    result = client.push(server, f"{merge}:refs/heads/main")
    assert not result.ok
    assert has(result, f"protect-main/linear-history on {merge[:10]}"), result.text


def test_message_pattern_and_warn_mode(client: Client, server: Path) -> None:
    bad = client.commit("no ticket here", sign=("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert has(result, f"protect-main/message-pattern on {bad[:10]}"), result.text
    client.git("reset", "-q", "--soft", "HEAD~1")
    client.commit("JIRA-6: ticketed but not conventional", sign=("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text  # the style rule is warn-only
    warnings = result.gitward.index("gitward: warnings (not blocking):")
    assert any("style/conventional-commits" in line for line in result.gitward[warnings:])


def test_creation_blocked(client: Client, server: Path) -> None:
    result = client.push(server, "HEAD:refs/heads/frozen/x")
    assert not result.ok
    assert has(result, "frozen/creation"), result.text


def test_branch_name_pattern_and_allowed_pushers(client: Client, server: Path) -> None:
    bad_name = client.push(server, "HEAD:refs/heads/release/banana", env=ghes("alice"))
    assert not bad_name.ok
    assert has(bad_name, "releases/ref-name"), bad_name.text
    not_allowed = client.push(server, "HEAD:refs/heads/release/1.0", env=ghes("mallory"))
    assert not not_allowed.ok
    assert has(not_allowed, "releases/pusher"), not_allowed.text
    allowed = client.push(server, "HEAD:refs/heads/release/1.0", env=ghes("alice"))
    assert allowed.ok, allowed.text
    record = audit(server_config(server))[-1]
    assert record["pusher"] == {"name": "alice", "source": "github-enterprise", "id": None}
    assert record["repository"] == "org/app"


def server_config(server: Path) -> Path:
    from gitward.cli.install_cmd import parse_shim

    shim = parse_shim((server / "hooks" / "pre-receive").read_text())
    assert shim is not None and shim.config is not None
    return Path(shim.config)


def test_tags_are_immutable(client: Client, server: Path) -> None:
    client.git("tag", "build-1")
    assert client.push(server, "refs/tags/build-1").ok
    client.commit("JIRA-7: next", sign=("openpgp", "alice"))
    client.git("tag", "-f", "build-1")
    moved = client.push(server, "refs/tags/build-1", force=True)
    assert not moved.ok
    assert has(moved, "tags/immutable"), moved.text
    deleted = client.push(server, ":refs/tags/build-1")
    assert not deleted.ok
    assert has(deleted, "tags/immutable"), deleted.text


def test_bypass_with_a_reason_is_accepted_and_audited(
    client: Client, server: Path, config: Path
) -> None:
    oid = client.commit("hotfix without ticket")  # unsigned, no ticket
    result = client.push(
        server,
        "HEAD:refs/heads/main",
        options=["gitward.reason=prod is down, INC-42"],
        env=ghes("alice"),
    )
    assert result.ok, result.text
    assert server_refs(server)["refs/heads/main"] == oid
    assert any('by alice: "prod is down, INC-42"' in line for line in result.gitward)
    record = audit(config)[-1]
    assert record["verdict"] == "accepted"
    assert record["bypasses"] == [
        {
            "rule_id": "protect-main",
            "ref": "refs/heads/main",
            "actor": "alice",
            "reason": "prod is down, INC-42",
        }
    ]


def test_bypass_needs_a_reason_and_a_listed_actor(client: Client, server: Path) -> None:
    client.commit("hotfix without ticket")
    no_reason = client.push(server, "HEAD:refs/heads/main", env=ghes("alice"))
    assert not no_reason.ok
    assert "gitward.reason" in no_reason.text
    not_listed = client.push(
        server, "HEAD:refs/heads/main", options=["gitward.reason=trust me"], env=ghes("mallory")
    )
    assert not not_listed.ok


def test_bypass_is_never_available_to_anonymous_pushers(client: Client, server: Path) -> None:
    client.commit("hotfix without ticket")
    # git daemon's environment: REMOTE_ADDR and no identity (see test_e2e_transports for the
    # real daemon); USER=alice must not turn an anonymous push into alice's.
    anon = {"REMOTE_ADDR": "127.0.0.1", "USER": "alice"}
    result = client.push(
        server, "HEAD:refs/heads/main", options=["gitward.reason=anonymous"], env=anon
    )
    assert not result.ok
    assert has(result, "protect-main/signature"), result.text


def test_terminal_escapes_in_a_message_never_reach_the_pusher_raw(
    client: Client, server: Path
) -> None:
    evil = "JIRA-8: \x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[31mred \u202eevil\u2066 \x9b1m"
    client.commit(evil)
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert has(result, "protect-main/signature"), result.text
    raw = result.stderr
    for bad in ("\x1b", "\x07", "\u202e", "\u2066", "\x9b"):
        assert bad.encode() not in raw, (bad, raw)
    assert "red \\u202eevil\\u2066" in result.text  # shown, defused

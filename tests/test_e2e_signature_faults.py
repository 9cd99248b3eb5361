"""End to end: a commit signed by a revoked subkey, by a subkey another certificate binds, or
dated in the future is refused with its own message and fix, not "bad signature". Real gpg
keys made for the test, real `git commit -S`, real `git push` through the installed hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import gwgpg
from gwpush import Client, Pushed, bare_repo, server_refs
from gwpush import write_config as write_policy

from gitward.policy.hints import short_fingerprint

POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
"""
DORA = "Dora Example <dora@example.org>"


def commit(client: Client, key: str, *, at: str = "") -> str:
    ident = ["-c", "user.name=Dora Example", "-c", "user.email=dora@example.org"]
    sign = gwgpg.git_sign_config(key, at=at)
    client.git(*ident, *sign, "commit", "-q", "--allow-empty", "-S", "-m", "JIRA-1: deploy")
    return client.git("rev-parse", "HEAD")


def said(result: Pushed) -> str:
    """The report as one line of words (the report wraps long messages)."""
    return " ".join(line.removeprefix("gitward:").strip() for line in result.gitward)


def push_refused(tmp: Path, client: Client, oid: str) -> str:
    server = bare_repo(tmp / "srv" / "app.git", tmp / "etc" / "policy.yaml")
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok, result.text
    assert "refs/heads/main" not in server_refs(server)
    words = said(result)
    assert f"protect-main/signature on {oid[:10]}" in words, result.text
    assert "bad signature" not in words, result.text
    return words


def test_a_revoked_subkey(tmp_path: Path) -> None:
    home = gwgpg.new_home()
    primary = gwgpg.make_key(home, DORA, usage="cert")
    subkey = gwgpg.add_subkey(home, primary)
    client = Client(tmp_path / "work", home)
    oid = commit(client, subkey)  # signed before the revocation (gpg refuses to sign after)
    gwgpg.revoke_subkey(home, primary, subkey)
    write_policy(tmp_path / "etc", POLICY, {})
    gwgpg.write_signer(tmp_path / "etc", "dora", "dora@example.org", gwgpg.export(home, primary),
                       primary)  # fmt: skip
    words = push_refused(tmp_path, client, oid)
    assert (
        f"signed with subkey {short_fingerprint(subkey)}, which key "
        f"{short_fingerprint(primary)} (dora) revokes" in words
    )
    assert (
        "fix: sign with a subkey that is not revoked, then run "
        "`git commit --amend --no-edit -S` and push again" in words
    )


def test_a_subkey_another_certificate_binds(tmp_path: Path) -> None:
    home = gwgpg.new_home()
    dora = gwgpg.make_key(home, DORA, usage="cert")
    subkey = gwgpg.add_subkey(home, dora)
    erin = gwgpg.make_key(home, "Erin Example <erin@example.org>")
    # Erin's certificate file, as registered, also carries Dora's subkey (copied with Dora's
    # binding signature); Dora's own certificate is not registered.
    grafted = gwgpg.graft_subkey(gwgpg.export(home, erin), gwgpg.export(home, dora), subkey)
    write_policy(tmp_path / "etc", POLICY, {})
    gwgpg.write_signer(tmp_path / "etc", "erin", "dora@example.org", grafted, erin)
    client = Client(tmp_path / "work", home)
    oid = commit(client, subkey)
    words = push_refused(tmp_path, client, oid)
    assert (
        f"signed with subkey {short_fingerprint(subkey)}, which key {short_fingerprint(erin)} "
        "(erin) carries but does not bind: it belongs to another certificate" in words
    )
    assert f"`gpg --list-keys {subkey}` shows which certificate binds that subkey" in words


def test_a_signature_dated_in_the_future(tmp_path: Path) -> None:
    home = gwgpg.new_home()
    primary = gwgpg.make_key(home, DORA)
    write_policy(tmp_path / "etc", POLICY, {})
    gwgpg.write_signer(tmp_path / "etc", "dora", "dora@example.org", gwgpg.export(home, primary),
                       primary)  # fmt: skip
    client = Client(tmp_path / "work", home)
    later = (datetime.now(UTC) + timedelta(days=400)).replace(hour=12, minute=34, second=56)
    oid = commit(client, primary, at=f"{later:%Y%m%dT%H%M%S}")
    words = push_refused(tmp_path, client, oid)
    assert (
        f"signature dated {later:%Y-%m-%d %H:%M:%S} UTC, later than the server's clock (" in words
    )
    assert (
        "fix: set the clock of the machine that signs right (`date -u` shows it), then run "
        "`git commit --amend --no-edit -S` and push again" in words
    )

"""End to end: real `git push` (file://) through the installed hook; signatures made by real gpg
and ssh-keygen with the throwaway test keys. Each test names the attack or behaviour it covers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import gwkeys
import pytest
from gwpush import Client, Kind, Signer, audit, bare_repo, server_refs, write_config

POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
  - id: release-tags
    refs: ["refs/tags/v*"]
    signatures:
      signers: [group:maintainers]
      tags: true
"""

SIGNERS = {
    "alice": Signer(ssh=True),
    "bob": Signer(ssh=True),
    # In the keyring (a registered signer) but not in the group the rule allows.
    "mallory": Signer(groups=("contractors",), ssh=True),
    "expired": Signer(),
    # The certificate carries its own revocation signature.
    "revoked": Signer(),
    # Revoked by the admin in the signer file, from a date in the past.
    "carol": Signer(openpgp_extra=("revoked_since: 2021-01-01",)),
}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("etc"), POLICY, SIGNERS)


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path) -> Client:
    return Client(tmp_path / "work", gnupghome)


def refused(client: Client, server: Path, rule_id: str, oid: str) -> list[str]:
    before = server_refs(server)
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok, result.text
    assert server_refs(server) == before  # nothing moved
    lines = result.gitward
    assert lines[0].startswith("gitward: push refused"), result.text
    assert f"gitward:   {rule_id} on {oid[:10]}" in lines, result.text
    return lines


@pytest.mark.parametrize("kind", ["openpgp", "ssh"])
def test_signed_by_an_allowed_key_is_accepted_and_audited(
    client: Client, server: Path, config: Path, kind: Kind
) -> None:
    oid = client.commit("add readme", sign=(kind, "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text
    assert server_refs(server)["refs/heads/main"] == oid
    assert result.gitward[-1] == "gitward: push accepted (1 commit checked)"
    record = audit(config)[-1]
    assert record["verdict"] == "accepted"
    assert record["commits_checked"] == 1
    assert record["ref_updates"] == [{"ref": "refs/heads/main", "old": "0" * 40, "new": oid}]


def test_unsigned_commit_is_refused_with_the_fix(
    client: Client, server: Path, config: Path
) -> None:
    oid = client.commit("unsigned work")
    lines = refused(client, server, "protect-main/signature", oid)
    assert any("git commit --amend --no-edit -S" in line for line in lines)
    record = audit(config)[-1]
    assert record["verdict"] == "refused"
    assert record["violations"][0]["rule_id"] == "protect-main/signature"


@pytest.mark.parametrize("kind", ["openpgp", "ssh"])
def test_good_signature_by_a_registered_key_that_is_not_allowed(
    client: Client, server: Path, kind: Kind
) -> None:
    oid = client.commit("mallory was here", sign=(kind, "mallory"), who="mallory")
    refused(client, server, "protect-main/signature", oid)


def test_allowed_key_with_someone_elses_committer_email(client: Client, server: Path) -> None:
    oid = client.commit("looks like bob", sign=("openpgp", "alice"), email=gwkeys.email("bob"))
    refused(client, server, "protect-main/committer-email", oid)


def test_expired_key(client: Client, server: Path) -> None:
    oid = client.commit("old key", sign=("openpgp", "expired"), who="expired")
    refused(client, server, "protect-main/signature", oid)


def test_key_revoked_in_the_signer_file(client: Client, server: Path) -> None:
    oid = client.commit("revoked by admin", sign=("openpgp", "carol"), who="carol")
    refused(client, server, "protect-main/signature", oid)


def test_key_whose_certificate_is_revoked(client: Client, server: Path) -> None:
    oid = client.commit("revoked cert", sign=("openpgp", "revoked"), who="revoked")
    refused(client, server, "protect-main/signature", oid)


def _with_signature(raw: bytes, signature: bytes) -> bytes:
    """`raw` (an unsigned commit) with `signature` in a gpgsig header, folded as git does."""
    head, _, body = raw.partition(b"\n\n")
    folded = signature.rstrip(b"\n").replace(b"\n", b"\n ")
    return head + b"\ngpgsig " + folded + b"\n\n" + body


def _unsigned_raw(client: Client, message: str) -> bytes:
    oid = client.commit(message)
    return client.git("cat-file", "commit", oid).encode() + b"\n"


def _push_raw(client: Client, server: Path, raw: bytes) -> str:
    oid = client.write_raw("commit", raw)
    client.git("update-ref", "refs/heads/main", oid)
    client.git("reset", "-q", "--soft", oid)
    return oid


def test_tampered_commit(client: Client, server: Path, gnupghome: Path) -> None:
    signed = client.commit("JIRA-1: pay 10 EUR", sign=("openpgp", "alice"))
    raw = client.git("cat-file", "commit", signed).encode() + b"\n"
    oid = _push_raw(client, server, raw.replace(b"pay 10 EUR", b"pay 99 EUR"))
    assert oid != signed
    refused(client, server, "protect-main/signature", oid)


def test_two_signatures_in_one_header(client: Client, server: Path, gnupghome: Path) -> None:
    raw = _unsigned_raw(client, "double signed")
    first = gwkeys.gpg_sign(gnupghome, "alice", raw)
    second = gwkeys.gpg_sign(gnupghome, "bob", raw)
    oid = _push_raw(client, server, _with_signature(raw, first + second))
    refused(client, server, "protect-main/signature", oid)


@pytest.mark.parametrize("mode", ["--sign", "--clearsign"])
def test_inline_signed_message_instead_of_a_detached_signature(
    client: Client, server: Path, gnupghome: Path, mode: str
) -> None:
    raw = _unsigned_raw(client, "inline")
    inline = subprocess.run(
        ["gpg", "--batch", "--armor", mode, "-u", gwkeys.signing_fingerprint("alice") + "!"],
        input=raw,
        env={**client.env(), "GNUPGHOME": str(gnupghome)},
        capture_output=True,
        check=True,
    ).stdout
    assert b"BEGIN PGP MESSAGE" in inline or b"BEGIN PGP SIGNED MESSAGE" in inline
    oid = _push_raw(client, server, _with_signature(raw, inline))
    refused(client, server, "protect-main/signature", oid)


def test_parked_unsigned_commit_cannot_reach_main_by_fast_forward(
    client: Client, server: Path
) -> None:
    client.commit("base", sign=("openpgp", "alice"))
    assert client.push(server, "HEAD:refs/heads/main").ok
    parked = client.commit("parked, unsigned")
    assert client.push(server, "HEAD:refs/heads/parking").ok  # no rule protects parking
    refused(client, server, "protect-main/signature", parked)


def test_pushing_a_replace_ref_is_refused(client: Client, server: Path) -> None:
    good = client.commit("good", sign=("openpgp", "alice"))
    assert client.push(server, "HEAD:refs/heads/main").ok
    bad = client.commit("bad")
    client.git("replace", bad, good)
    result = client.push(server, "refs/replace/*:refs/replace/*")
    assert not result.ok
    assert "gitward:   builtin/replace-refs" in result.gitward, result.text
    assert not any(r.startswith("refs/replace/") for r in server_refs(server))


def test_replace_objects_on_the_server_do_not_change_the_verdict(
    client: Client, server: Path
) -> None:
    good = client.commit("good", sign=("openpgp", "alice"))
    assert client.push(server, "HEAD:refs/heads/side").ok  # `good` is now on the server
    client.git("reset", "-q", "--hard", "HEAD~0")
    client.git("checkout", "-q", "--orphan", "other")
    bad = client.commit("unsigned")
    # An admin (or a compromised tool) replaces `bad` by `good` on the server: without
    # GIT_NO_REPLACE_OBJECTS the hook would read and judge `good` instead of `bad`.
    subprocess.run(
        ["git", "update-ref", f"refs/replace/{bad}", good], cwd=server, check=True, env=client.env()
    )
    refused(client, server, "protect-main/signature", bad)


def test_signed_annotated_tag_is_accepted(client: Client, server: Path) -> None:
    client.commit("release", sign=("openpgp", "alice"))
    client.git(*gwkeys.sign_config("openpgp", "alice"), "tag", "-s", "-m", "v1", "v1.0.0")
    result = client.push(server, "HEAD:refs/heads/main", "refs/tags/v1.0.0")
    assert result.ok, result.text


@pytest.mark.parametrize("annotated", [True, False], ids=["unsigned-annotated", "lightweight"])
def test_unsigned_or_lightweight_release_tag_is_refused(
    client: Client, server: Path, annotated: bool
) -> None:
    client.commit("release", sign=("openpgp", "alice"))
    assert client.push(server, "HEAD:refs/heads/main").ok
    ident = ["-c", "user.name=Alice Example", "-c", "user.email=alice@example.com"]
    client.git(*ident, "tag", *(["-a", "-m", "v1"] if annotated else []), "v1.0.0")
    result = client.push(server, "refs/tags/v1.0.0")
    assert not result.ok
    assert "ref refs/tags/v1.0.0" in " ".join(result.gitward), result.text
    assert any("release-tags/tag-signature" in line for line in result.gitward), result.text
    assert "refs/tags/v1.0.0" not in server_refs(server)

"""End to end: content rules through real pushes to a bare repository with the hook installed.
Every secret is made at run time (gwsecrets): the repository holds none."""

from __future__ import annotations

import json
import re
from pathlib import Path

import gwsecrets
import pytest
from gwpush import Client, Pushed, Signer, audit, bare_repo, server_refs, write_config

from gitward.cli import main as gitward_main

POLICY = """\
version: 1
settings:
  timeout_seconds: {timeout}
pusher_groups:
  release-managers: [alice]
rules:
  - id: gitops
    refs: [refs/heads/main]
    bypass: [group:release-managers]
    content:
      secrets:
        allowlist: secrets-allowlist.yaml
        max_bytes: 4096
      files:
        max_bytes: 100000
        forbidden_paths: ["id_rsa*", ".env", "**/kubeconfig"]
        forbidden_extensions: [pem, p12]
        symlinks_outside: true
        case_collisions: true
  - id: drafts
    refs: ["refs/heads/drafts/**"]
    mode: warn
    content:
      secrets: {{}}
"""


def ghes(login: str) -> dict[str, str]:
    return {"GITHUB_USER_LOGIN": login, "GITHUB_REPO_NAME": "org/app", "GITHUB_VIA": "git push"}


def make_config(root: Path, allowlist: str = "", timeout: float = 30) -> Path:
    config = write_config(root, POLICY.format(timeout=timeout), {"alice": Signer()})
    (root / "secrets-allowlist.yaml").write_text(allowlist)
    return config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_config(tmp_path / "etc")


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path) -> Client:
    return Client(tmp_path / "work", gnupghome)


def commit(client: Client, message: str, files: dict[str, str | bytes | None]) -> str:
    for name, value in files.items():
        path = client.path / name
        if value is None:
            client.git("rm", "-q", "--cached", name)
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value.encode() if isinstance(value, str) else value)
        client.git("add", name)
    return client.commit(message)


def lines(result: Pushed) -> str:
    return "\n".join(result.gitward)


def fingerprints_in(result: Pushed) -> list[str]:
    found = sorted(set(re.findall(r"allow fingerprint ([0-9a-f]{20})", lines(result))))
    assert found, result.text
    return found


def test_a_committed_aws_key_is_refused_without_showing_it(
    client: Client, server: Path, config: Path
) -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(1))
    bad = commit(client, "settings", {"app/settings.ini": f"[aws]\nkey_id = {key}\n"})
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    text = lines(result)
    assert f"gitward:   gitops/secret on {bad[:10]}" in result.gitward, text
    assert "secret (aws-access-token) in app/settings.ini line 2" in text
    assert key not in result.text and f'"{key[:4]}…"' in text
    assert "refs/heads/main" not in server_refs(server)
    record = audit(config)[-1]
    assert record["verdict"] == "refused"
    assert all(mark in json.dumps(record) for mark in fingerprints_in(result))
    assert key[:4] not in json.dumps(record["violations"])


def test_a_private_key_file_is_refused_by_name_and_content(client: Client, server: Path) -> None:
    pem = gwsecrets.private_key_pem(gwsecrets.rng(2))
    commit(client, "tls", {"deploy/tls.pem": pem + "\n"})
    result = client.push(server, "HEAD:refs/heads/main")
    text = lines(result)
    assert "gitops/forbidden-file" in text and "deploy/tls.pem may not be committed here" in text
    assert "secret (private-key) in deploy/tls.pem line 1" in text


def test_a_token_in_dotenv_is_refused(client: Client, server: Path) -> None:
    token = gwsecrets.github_pat(gwsecrets.rng(3))
    commit(client, "env", {".env": f"GITHUB_TOKEN={token}\n"})
    text = lines(client.push(server, "HEAD:refs/heads/main"))
    assert ".env may not be committed here" in text
    assert "secret (github-pat) in .env line 1" in text


def test_a_secret_added_then_deleted_in_the_next_commit_is_refused(
    client: Client, server: Path
) -> None:
    token = gwsecrets.slack_bot_token(gwsecrets.rng(4))
    added = commit(client, "add", {"notify.sh": f"SLACK={token}\n"})
    commit(client, "remove", {"notify.sh": None})
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert f"gitward:   gitops/secret on {added[:10]}" in result.gitward, lines(result)
    assert f"mark {added[:10]} 'edit'" in lines(result)  # a rebase, the secret is not at the tip


def test_an_allowlisted_finding_is_accepted(
    client: Client, tmp_path: Path, gnupghome: Path
) -> None:
    key = gwsecrets.stripe_key(gwsecrets.rng(5))
    commit(client, "demo", {"docs/demo.py": f"stripe.api_key = '{key}'\n"})
    first = make_config(tmp_path / "first")
    refused = client.push(bare_repo(tmp_path / "a.git", first), "HEAD:refs/heads/main")
    reviewed = "fingerprints:\n" + "".join(
        f"  - fingerprint: {mark}\n    reason: demo key, reviewed by dana\n"
        for mark in fingerprints_in(refused)
    )
    allowed = make_config(tmp_path / "second", reviewed)
    result = client.push(bare_repo(tmp_path / "b.git", allowed), "HEAD:refs/heads/main")
    assert result.ok, result.text


def test_an_allowlisted_path_is_accepted(client: Client, tmp_path: Path) -> None:
    config = make_config(tmp_path / "etc", 'paths: ["tests/fixtures/"]\n')
    token = gwsecrets.npm_token(gwsecrets.rng(6))
    commit(client, "fixture", {"tests/fixtures/npmrc": f"_authToken={token}\n"})
    result = client.push(bare_repo(tmp_path / "s.git", config), "HEAD:refs/heads/main")
    assert result.ok, result.text


def test_a_binary_blob_is_accepted_and_said_unscanned(client: Client, server: Path) -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(7)).encode()
    commit(client, "blob", {"assets/data.dat": b"\x00\x01" + key, "big.txt": "y" * 5000})
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text
    text = lines(result)
    assert "warnings (not blocking):" in text
    assert "2 file(s) not scanned for secrets: assets/data.dat (binary), big.txt" in text


def test_a_key_in_utf16_text_is_refused(client: Client, server: Path) -> None:
    # git calls it binary (NUL bytes), yet it is text to any tool that honours the mark.
    key = gwsecrets.aws_key_id(gwsecrets.rng(8))
    commit(client, "settings", {"app/settings.ini": f"[aws]\nkey_id = {key}\n".encode("utf-16")})
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert "secret (aws-access-token) in app/settings.ini line 2" in lines(result), result.text
    assert key not in result.text


def test_a_large_file_a_symlink_out_and_a_case_collision_are_refused(
    client: Client, server: Path
) -> None:
    commit(client, "files", {"dump.sql": "x" * 100_001, "README": "a", "Readme": "b"})
    (client.path / "etc").symlink_to("/etc")
    client.git("add", "etc")
    client.commit("link")
    text = lines(client.push(server, "HEAD:refs/heads/main"))
    assert "gitops/file-size" in text and "dump.sql is 100001 bytes (at most 100000)" in text
    assert "gitops/symlink-outside" in text
    assert "paths differ only in case: README, Readme" in text


def test_warn_mode_reports_without_blocking(client: Client, server: Path) -> None:
    token = gwsecrets.github_pat(gwsecrets.rng(8))
    commit(client, "draft", {"x.sh": f"T={token}\n"})
    result = client.push(server, "HEAD:refs/heads/drafts/x")
    assert result.ok, result.text
    assert "drafts/secret" in lines(result) and "warnings (not blocking):" in lines(result)


def test_a_release_manager_bypasses_with_a_reason(
    client: Client, server: Path, config: Path
) -> None:
    token = gwsecrets.github_pat(gwsecrets.rng(9))
    commit(client, "hotfix", {"x.sh": f"T={token}\n"})
    refused = client.push(server, "HEAD:refs/heads/main", env=ghes("alice"))
    assert not refused.ok and "bypass this rule" in lines(refused)
    result = client.push(server, "HEAD:refs/heads/main", env=ghes("alice"),
                         options=["gitward.reason=INC-7 revoked already"])  # fmt: skip
    assert result.ok, result.text
    assert audit(config)[-1]["bypasses"][0]["reason"] == "INC-7 revoked already"


def test_a_parked_commit_is_scanned_when_it_reaches_main(client: Client, server: Path) -> None:
    base = commit(client, "base", {"README": "hello\n"})
    assert client.push(server, "HEAD:refs/heads/main").ok
    token = gwsecrets.gitlab_pat(gwsecrets.rng(10))
    parked = commit(client, "parked", {"ci.yml": f"token: {token}\n"})
    assert client.push(server, "HEAD:refs/heads/topic").ok  # no content rule there
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert f"gitops/secret on {parked[:10]}" in lines(result)
    assert base[:10] not in lines(result)  # main's own history is not scanned again


def test_history_already_on_main_is_not_scanned_again(client: Client, server: Path) -> None:
    token = gwsecrets.gitlab_pat(gwsecrets.rng(11))
    commit(client, "old", {"ci.yml": f"token: {token}\n"})
    assert client.push(server, "HEAD:refs/heads/main", env=ghes("alice"),
                       options=["gitward.reason=migration"]).ok  # fmt: skip
    commit(client, "new", {"README": "fine\n"})
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text


def test_out_of_budget_refuses_with_one_line(client: Client, tmp_path: Path) -> None:
    config = make_config(tmp_path / "etc", timeout=0.05)
    commit(client, "many", {f"f{i}.txt": "x\n" for i in range(50)})
    result = client.push(bare_repo(tmp_path / "s.git", config), "HEAD:refs/heads/main")
    assert result.gitward == [
        "gitward: push refused: the check ran out of its time budget (0.05 s); ask your git "
        "admin (details in the gitward log)"
    ], result.text
    assert "Traceback" not in result.text


def test_a_broken_allowlist_refuses_with_one_line(client: Client, tmp_path: Path) -> None:
    config = make_config(tmp_path / "etc", "fingerprints: [{fingerprint: xyz}]\n")
    commit(client, "a", {"a": "a"})
    result = client.push(bare_repo(tmp_path / "s.git", config), "HEAD:refs/heads/main")
    assert result.gitward == [
        "gitward: push refused: the gitward policy on the server cannot be loaded; ask your "
        "git admin (details in the gitward log)"
    ]


def test_gitward_check_names_the_same_rule_ids(
    client: Client, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(12))
    bad = commit(client, "settings", {"settings.ini": f"key_id = {key}\n"})
    code = gitward_main(["check", "--config", str(config), "--repo", str(client.path),
                         "--ref", "main", "--json", bad])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [v["rule_id"] for v in out["violations"]] == ["gitops/secret"]
    assert "(aws-access-token) in settings.ini line 1" in out["violations"][0]["message"]
    assert key not in json.dumps(out["violations"][0]["message"])

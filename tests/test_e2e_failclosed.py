"""End to end: when gitward cannot do its job the push is refused with ONE line, the pusher sees
no traceback, and the admin finds the details in the gitward log (fail closed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gwpush import Client, Pushed, Signer, audit, bare_repo, python_without, write_config

SIGNED_MAIN = """\
version: 1
settings:
  timeout_seconds: {timeout}
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [alice]
"""


def config_dir(root: Path, timeout: float = 30) -> Path:
    return write_config(root, SIGNED_MAIN.format(timeout=timeout), {"alice": Signer()})


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path) -> Client:
    c = Client(tmp_path / "work", gnupghome)
    c.commit("signed", sign=("openpgp", "alice"))
    return c


def one_refusal(result: Pushed, what: str) -> None:
    assert not result.ok
    assert result.gitward == [
        f"gitward: push refused: {what}; ask your git admin (details in the gitward log)"
    ], result.text
    assert "Traceback" not in result.text
    assert 'File "' not in result.text


def test_broken_policy_refuses_every_push_with_one_line(tmp_path: Path, client: Client) -> None:
    policy = config_dir(tmp_path / "etc")
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    assert client.push(server, "HEAD:refs/heads/main").ok  # works while the policy is valid
    policy.write_text(policy.read_text().replace("signers: [alice]", "signers: [alice"))
    client.commit("signed too", sign=("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    one_refusal(result, "the gitward policy on the server cannot be loaded")
    # The audit log's place is unknown when the policy cannot be read: the repository's
    # directory gets the details and an "error" audit line.
    details = (server / "gitward-errors.log").read_text()
    assert "ConfigError" in details
    assert "policy.yaml" in details
    record = json.loads((server / "gitward-audit.jsonl").read_text().splitlines()[-1])
    assert record["verdict"] == "error"
    assert record["ref_updates"][0]["ref"] == "refs/heads/main"


def test_missing_policy_logs_to_gitward_log_dir_when_set(tmp_path: Path, client: Client) -> None:
    server = bare_repo(tmp_path / "srv" / "app.git", tmp_path / "etc" / "policy.yaml")
    logs = tmp_path / "logs"
    result = client.push(server, "HEAD:refs/heads/main", env={"GITWARD_LOG_DIR": str(logs)})
    one_refusal(result, "the gitward policy on the server cannot be loaded")
    assert "cannot read the policy file" in (logs / "gitward-errors.log").read_text()
    assert json.loads((logs / "gitward-audit.jsonl").read_text())["verdict"] == "error"


def test_invalid_policy_logs_next_to_its_audit_log(tmp_path: Path, client: Client) -> None:
    policy = config_dir(tmp_path / "etc")
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    policy.write_text(policy.read_text().replace("signers: [alice]", "signers: [nobody]"))
    result = client.push(server, "HEAD:refs/heads/main")
    one_refusal(result, "the gitward policy on the server cannot be loaded")
    assert "nobody" in (policy.parent / "gitward-errors.log").read_text()
    assert audit(policy)[-1]["verdict"] == "error"


def test_missing_verifier_library_refuses(tmp_path: Path, client: Client) -> None:
    policy = config_dir(tmp_path / "etc")
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    hidden = python_without("pysequoia", tmp_path / "shadow")
    result = client.push(server, "HEAD:refs/heads/main", env=hidden)
    assert not result.ok
    assert len(result.gitward) == 1, result.text
    assert result.gitward[0].startswith("gitward: push refused: a ")
    assert "missing on the server" in result.gitward[0]
    assert "Traceback" not in result.text
    assert "pysequoia" in (policy.parent / "gitward-errors.log").read_text()
    assert audit(policy)[-1]["verdict"] == "error"
    assert client.push(server, "HEAD:refs/heads/main").ok  # the same push, verifier present


WARN_SSH = """\
version: 1
rules:
  - id: signed-main
    refs: [refs/heads/main]
    mode: warn
    signatures:
      signers: [alice]
"""


def test_missing_ssh_verifier_refuses_even_under_a_warn_rule(
    tmp_path: Path, client: Client
) -> None:
    """A warn rule would let a push with a bad signature through: a missing library must not
    pass for a bad signature, it stops the push and goes to the admin's log."""
    policy = write_config(tmp_path / "etc", WARN_SSH, {"alice": Signer(ssh=True)})
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    client.commit("ssh signed", sign=("ssh", "alice"))
    hidden = python_without("cryptography", tmp_path / "shadow")
    result = client.push(server, "HEAD:refs/heads/main", env=hidden)
    one_refusal(result, "a signature verifier is missing on the server")
    details = (policy.parent / "gitward-errors.log").read_text()
    assert "VerifierUnavailable" in details
    assert "cryptography hidden by the test" in details
    assert audit(policy)[-1]["verdict"] == "error"
    assert client.push(server, "HEAD:refs/heads/main").ok  # the same push, library present


def test_push_out_of_time_budget_refuses(tmp_path: Path, client: Client) -> None:
    policy = config_dir(tmp_path / "etc", timeout=0.001)
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    result = client.push(server, "HEAD:refs/heads/main")
    one_refusal(result, "the check ran out of its time budget (0.001 s)")
    assert "BudgetExceeded" in (policy.parent / "gitward-errors.log").read_text()
    record = audit(policy)[-1]
    assert record["verdict"] == "error"
    assert "time budget" in str(record["error"])

"""hook.main in process: exit codes, the report, the audit line, and failing closed with one line
for every kind of failure (the pusher never sees a traceback; the admin log gets it)."""

from __future__ import annotations

import io
import json
import os
import pwd
import sys
import time
from pathlib import Path
from typing import Any

import gwkeys
import gwrepo
import pytest
from gwpush import Signer, hide_in_process, write_config

from gitward.hook import main as hook

ZERO = "0" * 40
# The processes above a hook that a local `git push` started (see hook.pusher).
LOCAL_PUSH = (("git-receive-pack", "/srv/app.git"), ("git", "push", "/srv/app.git", "main"))
POLICY = """\
version: 1
settings:
  timeout_seconds: {timeout}
rules:
  - id: tickets
    refs: [refs/heads/main]
    messages:
      must_match: '^JIRA-[0-9]+: '
  - id: signed
    refs: [refs/heads/signed]
    signatures:
      signers: [alice]
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return gwrepo.init(tmp_path / "app.git")


def make_config(tmp_path: Path, timeout: float = 10) -> Path:
    return write_config(
        tmp_path / "etc", POLICY.format(timeout=timeout), {"alice": Signer(ssh=True)}
    )


def run(repo: Path, config: Path | None, lines: str, **env: str) -> tuple[int, str]:
    err = io.StringIO()
    argv = ["--config", str(config)] if config else []
    environ = {"GIT_DIR": str(repo), "USER": "tester", **env}
    code = hook.main(argv, io.StringIO(lines), err, environ, lambda: LOCAL_PUSH)
    return code, err.getvalue()


def records(config: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (config.parent / "audit.jsonl").read_text().splitlines()]


def assert_one_line(text: str, what: str) -> None:
    assert (
        text == f"gitward: push refused: {what}; ask your git admin (details in the gitward log)\n"
    )


def test_accepted_push_exits_0_and_is_audited(tmp_path: Path, repo: Path) -> None:
    config = make_config(tmp_path)
    oid = gwrepo.commit(repo, "JIRA-1: fine\n")
    code, text = run(repo, config, f"{ZERO} {oid} refs/heads/main\n")
    assert code == 0, text
    assert text == "gitward: push accepted (1 commit checked)\n"
    (record,) = records(config)
    assert record["verdict"] == "accepted"
    assert record["event"] == "push"
    account = pwd.getpwuid(os.geteuid()).pw_name  # the account pushing, not $USER
    assert record["pusher"] == {"name": account, "source": "local", "id": None}
    assert record["repository"] == str(repo)
    assert isinstance(record["duration_ms"], int)


def test_refused_push_exits_1_with_the_report(tmp_path: Path, repo: Path) -> None:
    config = make_config(tmp_path)
    oid = gwrepo.commit(repo, "no ticket\n")
    code, text = run(repo, config, f"{ZERO} {oid} refs/heads/main\n")
    assert code == 1
    assert f"gitward:   tickets/message-pattern on {oid[:10]}" in text.splitlines()
    (violation,) = records(config)[-1]["violations"]
    assert violation["rule_id"] == "tickets/message-pattern"
    assert (violation["mode"], violation["ref"], violation["oid"]) == (
        "enforce",
        "refs/heads/main",
        oid,
    )


def test_config_from_the_environment(tmp_path: Path, repo: Path) -> None:
    config = make_config(tmp_path)
    oid = gwrepo.commit(repo, "JIRA-1: fine\n")
    code, _ = run(repo, None, f"{ZERO} {oid} refs/heads/main\n", GITWARD_CONFIG=str(config))
    assert code == 0
    assert len(records(config)) == 1


def test_empty_input_judges_nothing(tmp_path: Path, repo: Path) -> None:
    assert run(repo, make_config(tmp_path), "") == (0, "")


@pytest.mark.parametrize("line", ["garbage\n", f"{ZERO} {ZERO[:39]} refs/heads/main\n"])
def test_malformed_input_refuses(tmp_path: Path, repo: Path, line: str) -> None:
    code, text = run(repo, make_config(tmp_path), line)
    assert code == 1
    assert_one_line(text, "git sent input gitward cannot read")


def test_missing_object_refuses(tmp_path: Path, repo: Path) -> None:
    config = make_config(tmp_path)
    code, text = run(repo, config, f"{ZERO} {'ab' * 20} refs/heads/main\n")
    assert code == 1
    assert_one_line(text, "gitward could not read the pushed objects")
    assert "GitError" in (config.parent / "gitward-errors.log").read_text()
    assert records(config)[-1]["verdict"] == "error"


def test_unexpected_exception_refuses_without_traceback(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> object:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("gitward.policy.engine.evaluate", boom)
    config = make_config(tmp_path)
    oid = gwrepo.commit(repo, "JIRA-1: fine\n")
    code, text = run(repo, config, f"{ZERO} {oid} refs/heads/main\n")
    assert code == 1
    assert_one_line(text, "gitward hit an internal error")
    log = (config.parent / "gitward-errors.log").read_text()
    assert "Traceback" in log
    assert "secret detail" in log


def test_missing_ssh_verifier_library_refuses_and_tells_the_admin(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    tree = gwrepo.empty_tree(repo)
    raw = gwkeys.ssh_signed_commit_object("alice", tree, [], b"signed\n")
    oid = gwrepo.write_object(repo, "commit", raw)
    # The real lazy import of the SSH arithmetic now fails, as on a server without cryptography.
    hide_in_process(monkeypatch, "cryptography", "gitward.signing.ssh.crypto")
    code, text = run(repo, config, f"{ZERO} {oid} refs/heads/signed\n")
    assert code == 1
    assert_one_line(text, "a signature verifier is missing on the server")  # not "bad signature"
    log = (config.parent / "gitward-errors.log").read_text()
    assert "VerifierUnavailable" in log
    assert "cryptography" in log
    assert records(config)[-1]["verdict"] == "error"
    monkeypatch.undo()  # the library is back: the same push is judged (and accepted)
    assert run(repo, config, f"{ZERO} {oid} refs/heads/signed\n")[0] == 0


def test_backstop_timer_stops_a_stuck_run(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stuck(*args: object, **kwargs: object) -> object:
        time.sleep(30)  # ignores the Deadline, like a hung library call would
        raise AssertionError("not reached")

    monkeypatch.setattr("gitward.facts.gather.gather", stuck)
    config = make_config(tmp_path, timeout=0.3)
    oid = gwrepo.commit(repo, "JIRA-1: fine\n")
    started = time.monotonic()
    code, text = run(repo, config, f"{ZERO} {oid} refs/heads/main\n")
    assert time.monotonic() - started < 5
    assert code == 1
    assert_one_line(text, "the check ran out of its time budget (0.3 s)")


def test_unwritable_audit_log_refuses(tmp_path: Path, repo: Path) -> None:
    config = make_config(tmp_path)
    (config.parent / "audit.jsonl").mkdir()  # a directory where the log file should be
    oid = gwrepo.commit(repo, "JIRA-1: fine\n")
    code, text = run(repo, config, f"{ZERO} {oid} refs/heads/main\n")
    assert code == 1
    assert_one_line(text, "gitward hit a file system error on the server (audit log?)")


def test_bad_arguments_refuse(tmp_path: Path, repo: Path) -> None:
    err = io.StringIO()
    code = hook.main(["--bogus"], io.StringIO(""), err, {"GIT_DIR": str(repo)})
    assert code == 1
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith("gitward: push refused: ")


def test_cli_entry_point_reads_stdin_bytes(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitward.cli import main

    config = make_config(tmp_path)
    oid = gwrepo.commit(repo, "JIRA-1: fine\n")
    stdin = io.TextIOWrapper(io.BytesIO(f"{ZERO} {oid} refs/heads/main\n".encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    monkeypatch.setenv("GIT_DIR", str(repo))
    assert main(["hook", "pre-receive", "--config", str(config)]) == 0
    assert "push accepted" in capsys.readouterr().err


def test_a_broken_installation_still_refuses_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # were the hook to run after all, its logs land here
    import gitward
    from gitward.cli import main

    monkeypatch.setitem(sys.modules, "gitward.hook.main", None)  # `import` now raises ImportError
    monkeypatch.delattr(gitward, "hook", raising=False)
    assert main(["hook", "pre-receive"]) == 1
    assert capsys.readouterr().err == (
        "gitward: push refused: gitward is broken on the server; ask your git admin\n"
    )

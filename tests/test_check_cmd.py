"""`gitward check`: the push-time evaluation on existing history, as an admin runs it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import gwkeys
import pytest
from gwrepo import (
    chain,
    commit,
    empty_tree,
    git,
    init,
    set_ref,
    tmpdir,
    write_object,
)

from gitward.cli import main
from gitward.cli.check_cmd import check

KEYS = Path(__file__).resolve().parent / "keys"
POLICY = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main, "refs/heads/release/*"]
    signatures:
      signers: [alice]
    messages:
      must_match: '^JIRA-[0-9]+: '
    protection:
      block_creation: true
      name_pattern: '^nothing-matches$'
  - id: style
    refs: ["refs/heads/**"]
    mode: warn
    messages:
      subject_max_length: 12
"""


@pytest.fixture
def config() -> Path:
    d = tmpdir("gw-cfg-")
    (d / "policy.yaml").write_text(POLICY)
    (d / "signers").mkdir()
    ssh_key = (KEYS / "alice_ed25519.pub").read_text().strip()
    (d / "signers" / "alice.yaml").write_text(
        textwrap.dedent(
            f"""\
            id: alice
            name: Alice Example
            emails: [alice@example.com]
            ssh:
              - key: {ssh_key}
            """
        )
    )
    return d


@pytest.fixture
def repo() -> Path:
    """main: 2 signed, ticketed commits, then 2 unsigned ones; release/1 at the second."""
    path = init(tmpdir() / "r.git")
    tree = empty_tree(path)
    first = write_object(
        path, "commit", gwkeys.ssh_signed_commit_object("alice", tree, [], b"JIRA-1: one\n")
    )
    second = write_object(
        path, "commit", gwkeys.ssh_signed_commit_object("alice", tree, [first], b"JIRA-2: b\n")
    )
    third = commit(path, "JIRA-3: unsigned\n", [second])
    fourth = commit(path, "no ticket, unsigned and long\n", [third])
    set_ref(path, "refs/heads/main", fourth)
    set_ref(path, "refs/heads/release/1", second)
    return path


def run_check(
    capsys: pytest.CaptureFixture[str], config: Path, repo: Path, *args: str
) -> tuple[int, str, str]:
    """`gitward check` through the command dispatcher, as a user runs it."""
    code = main(["check", "--config", str(config), "--repo", str(repo), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_range_reports_every_problem_with_rule_id_and_short_id(
    capsys: pytest.CaptureFixture[str], config: Path, repo: Path
) -> None:
    code, out, _ = run_check(capsys, config, repo, "main~3..main")
    third = git(repo, "rev-parse", "main~1")
    fourth = git(repo, "rev-parse", "main")
    assert code == 1
    assert f"protect-main/signature {third[:10]} refs/heads/main" in out
    assert f"protect-main/message-pattern {fourth[:10]}" in out
    assert f"style/subject-length {fourth[:10]} refs/heads/main (warn: not blocking)" in out
    assert "  fix: run `git commit --amend --no-edit -S` and push again" in out
    assert out.endswith(
        "\nREFUSED: 3 commits checked for refs/heads/main: 3 blocking, 2 not blocking\n"
    )
    # the signed, ticketed commit in the range is fine
    second = git(repo, "rev-parse", "main~2")
    assert second[:10] not in out
    # push-only checks (creation, ref name) are not reported on history
    assert "creation" not in out and "ref-name" not in out


def test_json_output(capsys: pytest.CaptureFixture[str], config: Path, repo: Path) -> None:
    code, out, _ = run_check(capsys, config, repo, "--json", "main~3..main")
    result = json.loads(out)
    assert code == 1
    assert result["allowed"] is False
    assert result["commits_checked"] == 3
    kinds = {(v["rule_id"], v["mode"]) for v in result["violations"]}
    assert ("protect-main/signature", "enforce") in kinds
    assert ("style/subject-length", "warn") in kinds
    assert set(result["violations"][0]) == {"rule_id", "ref", "oid", "message", "hint", "mode"}


def test_a_reader_that_leaves_early_gets_no_traceback(config: Path, repo: Path) -> None:
    # `gitward check --json ... | head`: the pipe closes before gitward writes.
    gitward = Path(sys.executable).with_name("gitward")
    argv = [str(gitward), "check", "--json", "--config", str(config), "--repo", str(repo)]
    proc = subprocess.Popen(
        [*argv, "--ref", "main", "main~3..main"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # long before the child has started Python, let alone written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert b"Traceback" not in err
    assert err == b""


def test_a_single_revision_checks_what_other_protected_refs_do_not_hold(
    capsys: pytest.CaptureFixture[str], config: Path, repo: Path
) -> None:
    code, out, _ = run_check(capsys, config, repo, "--json", "main")
    result = json.loads(out)
    # release/1 (protected by the same rule) already holds the first two commits
    assert result["commits_checked"] == 2
    assert code == 1
    # the ref defaults to the branch HEAD names, and `--ref NAME` means refs/heads/NAME
    code, out, _ = run_check(capsys, config, repo, "--json", "--ref", "release/1", "release/1")
    assert json.loads(out)["ref"] == "refs/heads/release/1"
    assert code == 0


def test_signed_ticketed_history_passes(
    capsys: pytest.CaptureFixture[str], config: Path, repo: Path
) -> None:
    code, out, _ = run_check(capsys, config, repo, "main~3..main~2")
    assert code == 0
    assert out.strip() == "OK: 1 commit checked for refs/heads/main, no problems"


def test_progress_only_on_a_terminal_for_long_ranges(config: Path) -> None:
    path = init(tmpdir() / "long.git")
    set_ref(path, "refs/heads/topic", chain(path, 600)[-1])
    for err in (Terminal(), io.StringIO()):
        code = check("topic", config=str(config), repo_path=path, ref="topic", out=io.StringIO(),
                     err=err)  # fmt: skip
        assert code == 0  # only the warn rule applies to topic
        if isinstance(err, Terminal):
            assert "\rchecked 500/600 commits" in err.getvalue()
            assert err.getvalue().endswith("\rchecked 600/600 commits\r\x1b[K")
        else:
            assert err.getvalue() == ""


def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], config: Path, repo: Path) -> None:
    code, _, err = run_check(capsys, config, repo, "bad-revision")
    assert code == 1
    assert err.strip() == f"gitward: unknown revision 'bad-revision' in {repo}"


def test_an_unknown_user_meets_no_push_only_pusher_check(
    capsys: pytest.CaptureFixture[str], config: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gitward check` run where no user name is known (a container without a passwd entry)
    judges history, not who pushes: the rule's anonymous-pusher check is left out."""
    policy = (config / "policy.yaml").read_text()
    (config / "policy.yaml").write_text(
        policy.replace("      block_creation: true\n", "      allowed_pushers: [alice]\n", 1)
    )
    monkeypatch.setattr("gitward.cli.check_cmd._user", lambda: None)
    code, out, _ = run_check(capsys, config, repo, "main~3..main~2")
    assert (code, out.strip()) == (0, "OK: 1 commit checked for refs/heads/main, no problems")

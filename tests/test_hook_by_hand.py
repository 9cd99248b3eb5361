"""`gitward hook pre-receive` run by hand (not by git): usage on stderr, exit 2, and no log files
left in the current directory (or anywhere else)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from gwpush import clean_env

GITWARD = Path(sys.executable).with_name("gitward")
LINE = f"{'0' * 40} {'1' * 40} refs/heads/main\n".encode()


def run_by_hand(
    cwd: Path, args: list[str], env: dict[str, str], stdin: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(GITWARD), "hook", "pre-receive", *args],
        cwd=cwd,
        input=None if stdin is not None else LINE,
        stdin=stdin,
        capture_output=stdin is None,
        stdout=subprocess.PIPE if stdin is not None else None,
        stderr=subprocess.PIPE if stdin is not None else None,
        env=env,
        timeout=30,
        check=False,
    )


def assert_usage(proc: subprocess.CompletedProcess[bytes], cwd: Path) -> None:
    assert proc.returncode == 2, proc.stderr
    assert b"usage: gitward hook pre-receive [--config PATH]" in proc.stderr
    assert b"Traceback" not in proc.stderr
    assert list(cwd.iterdir()) == []  # no gitward-audit.jsonl, no gitward-errors.log


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    here = tmp_path / "here"
    here.mkdir()
    return here


def test_without_git_dir(cwd: Path, tmp_path: Path) -> None:
    # A policy that would reject (missing) is no reason to write anything either.
    env = clean_env({"GITWARD_CONFIG": str(tmp_path / "missing.yaml")})
    proc = run_by_hand(cwd, [], env)
    assert_usage(proc, cwd)
    assert b"GIT_DIR" in proc.stderr


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(cwd: Path, flag: str) -> None:
    # GIT_DIR pointing here: were the hook to run and fail, its logs would land here.
    assert_usage(run_by_hand(cwd, [flag], clean_env({"GIT_DIR": str(cwd)})), cwd)


def test_a_terminal_on_stdin(cwd: Path) -> None:
    primary, terminal = pty.openpty()
    try:
        proc = run_by_hand(cwd, [], clean_env({"GIT_DIR": str(cwd)}), stdin=terminal)
    finally:
        os.close(terminal)
        os.close(primary)
    assert_usage(proc, cwd)
    assert b"terminal" in proc.stderr

"""End to end: a push ends within the hook's time budget plus a small margin, whatever blocks it.

Each test makes something block the way it does on real servers (a policy on a path whose `open`
never returns, the audit log locked by another process, a hook the interval timer cannot reach)
and checks that `git push` comes back refused with ONE line, on time, instead of hanging while a
receive-pack process waits on the hook.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from gwpush import (
    Client,
    Pushed,
    Signer,
    bare_repo,
    flocked,
    python_at_start,
    write_config,
)

from gitward.hook.attempt import DEFAULT_BUDGET

SIGNED_MAIN = """\
version: 1
settings:
  timeout_seconds: {timeout}
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [{signer}]
"""
# The promise is "budget plus a small margin"; the rest covers starting git and Python on a
# loaded test machine.
SLACK = 2.5


def config_dir(root: Path, timeout: float, signer: str = "alice") -> Path:
    policy = SIGNED_MAIN.format(timeout=timeout, signer=signer)
    return write_config(root, policy, {"alice": Signer()})


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path) -> Client:
    c = Client(tmp_path / "work", gnupghome)
    c.commit("signed", sign=("openpgp", "alice"))
    return c


def timed_push(client: Client, server: Path, **env: str) -> tuple[Pushed, float]:
    started = time.monotonic()
    # Well past the promise: a hook that hangs makes this raise instead of the test waiting.
    result = client.push(server, "HEAD:refs/heads/main", env=env, timeout=DEFAULT_BUDGET + 30)
    return result, time.monotonic() - started


def one_refusal(result: Pushed, what: str) -> None:
    assert not result.ok
    assert result.gitward == [
        f"gitward: push refused: {what}; ask your git admin (details in the gitward log)"
    ], result.text
    assert "Traceback" not in result.text


@contextmanager
def fifo_at(path: Path) -> Iterator[None]:
    """`path` becomes a FIFO nobody writes to: opening it for reading blocks, as an `open` on a
    hung network mount does. Afterwards `path` is an empty file again, and a reader still stuck
    on the FIFO (a hook that hung) is released."""
    path.unlink()
    os.mkfifo(path)
    try:
        yield
    finally:
        writer = os.open(path, os.O_RDWR | os.O_NONBLOCK)  # never blocks on Linux
        path.unlink()
        path.write_text("")  # later opens find a file
        os.close(writer)  # the opens stuck on the FIFO have returned meanwhile


def test_policy_whose_open_blocks_refuses_in_time(tmp_path: Path, client: Client) -> None:
    policy = config_dir(tmp_path / "etc", timeout=30)
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    with fifo_at(policy):
        result, elapsed = timed_push(client, server)
    # The policy never loaded, so the budget is gitward's default, and the logs go to the
    # repository's directory: the failure path does not open the policy again.
    one_refusal(result, f"the check ran out of its time budget ({DEFAULT_BUDGET:g} s)")
    assert elapsed < DEFAULT_BUDGET + SLACK
    assert "BudgetExceeded" in (server / "gitward-errors.log").read_text()


def test_audit_log_locked_by_another_process_refuses_in_time(
    tmp_path: Path, client: Client
) -> None:
    policy = config_dir(tmp_path / "etc", timeout=2)
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    with flocked(policy.parent / "audit.jsonl"):
        result, elapsed = timed_push(client, server)  # a push that would be accepted
    one_refusal(result, "the check ran out of its time budget (2 s)")  # unrecorded: refused
    assert elapsed < 2 + SLACK
    assert "audit log" in (policy.parent / "gitward-errors.log").read_text()
    assert timed_push(client, server)[0].ok  # the lock is free again: the same push passes


def test_failure_path_with_the_audit_log_locked_refuses_in_time(
    tmp_path: Path, client: Client
) -> None:
    # An invalid policy whose settings still parse: the failure path logs next to the
    # configured audit log, which another process holds locked.
    policy = config_dir(tmp_path / "etc", timeout=1, signer="nobody")
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    with flocked(policy.parent / "audit.jsonl"):
        result, elapsed = timed_push(client, server)
    one_refusal(result, "the gitward policy on the server cannot be loaded")
    assert elapsed < 1 + SLACK
    assert "nobody" in (policy.parent / "gitward-errors.log").read_text()


def test_a_hook_the_interval_timer_cannot_reach_still_ends_in_time(
    tmp_path: Path, client: Client
) -> None:
    # SIGALRM blocked in the hook's Python: the backstop timer never fires, as for a call stuck
    # where no signal reaches it (uninterruptible I/O). The process must still end.
    policy = config_dir(tmp_path / "etc", timeout=30)
    server = bare_repo(tmp_path / "srv" / "app.git", policy)
    no_alarm = "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
    env = python_at_start(no_alarm, tmp_path / "site")
    with fifo_at(policy):
        result, elapsed = timed_push(client, server, **env)
    one_refusal(result, f"the check ran out of its time budget ({DEFAULT_BUDGET:g} s)")
    assert DEFAULT_BUDGET <= elapsed < DEFAULT_BUDGET + SLACK

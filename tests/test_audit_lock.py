"""The audit log writer never makes a push wait past its deadline: not on a lock another process
holds, not on a FIFO put in the log's place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gwpush import flocked

from gitward.audit import link
from gitward.audit import log as audit
from gitward.deadline import Deadline
from gitward.errors import BudgetExceeded

RECORD = {"time": "t", "event": "push", "actor": "a"}


def test_a_held_lock_is_waited_for_until_the_deadline_only(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with flocked(log):
        started = time.monotonic()
        with pytest.raises(BudgetExceeded, match="audit log's lock"):
            audit.append(log, RECORD, Deadline(0.3))
        assert 0.3 <= time.monotonic() - started < 2
    assert log.read_text() == ""  # nothing half-written
    audit.append(log, RECORD, Deadline(5))  # released: written at once
    assert json.loads(log.read_text()) == {**RECORD, "prev": link.GENESIS}


def test_without_a_deadline_the_writer_waits_for_the_lock(tmp_path: Path) -> None:
    # `gitward signers` edits: a person runs them and may wait.
    log = tmp_path / "audit.jsonl"
    waiter = (
        "import sys; from pathlib import Path; from gitward.audit import log as audit; "
        "audit.append(Path(sys.argv[1]), {'event': 'edit'})"
    )
    with flocked(log):
        proc = subprocess.Popen([sys.executable, "-c", waiter, str(log)])
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.5)
    assert proc.wait(timeout=30) == 0
    assert json.loads(log.read_text()) == {"event": "edit", "prev": link.GENESIS}


@pytest.mark.parametrize("reader", [False, True])
def test_a_fifo_in_the_logs_place_fails_at_once(tmp_path: Path, reader: bool) -> None:
    log = tmp_path / "audit.jsonl"
    os.mkfifo(log)
    # In a child process: were the open to block, the test would fail instead of hanging.
    writer = (
        "import sys; from pathlib import Path; from gitward.audit import log as audit\n"
        "try:\n"
        "    audit.append(Path(sys.argv[1]), {'event': 'push'})\n"
        "except OSError as exc:\n"
        "    print(exc)\n"
    )
    held = os.open(log, os.O_RDONLY | os.O_NONBLOCK) if reader else None
    try:
        proc = subprocess.run(
            [sys.executable, "-c", writer, str(log)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    finally:
        if held is not None:
            os.close(held)
    expected = "must be a regular file" if reader else "No such device or address"
    assert expected in proc.stdout

"""The hook's own process ends without the interpreter's teardown (gitward.hook.quick_exit), yet
with everything the teardown does that is seen outside: atexit callbacks, stdout and stderr
flushed, the exit status (and 120 when a flush fails, as the interpreter's own exit). It also
runs without the cyclic garbage collector (hook_cmd). Neither applies when main is called in a
process that is not the hook's."""

from __future__ import annotations

import atexit
import io
import os
import subprocess
import sys
from pathlib import Path

import gwrepo
import pytest
from gwpush import Signer, write_config

from gitward.hook.quick_exit import exit_now

POLICY = """\
version: 1
rules:
  - id: gate
    refs: [refs/heads/main]
    messages: {must_match: '^JIRA-[0-9]+: '}
"""

# Started as the hook is (`gitward hook pre-receive`), with an atexit callback and an object
# whose finaliser only the interpreter's teardown runs.
PROBE = """
import atexit, gc, os, sys
sys.argv = ["gitward", "hook", "pre-receive"]
atexit.register(lambda: os.write(2, b"atexit ran" + b", no gc" * (not gc.isenabled()) + b"\\n"))

class Sentinel:
    def __del__(self):
        os.write(2, b"teardown ran\\n")

kept = Sentinel()
from gitward.cli import main
sys.exit(main())
"""


def run_hook(tmp_path: Path, message: str, probe: str = PROBE) -> subprocess.CompletedProcess[str]:
    config = write_config(tmp_path / "etc", POLICY, {"alice": Signer()})
    work = gwrepo.init(tmp_path / "work", bare=False)
    (work / "a.txt").write_text("a\n")
    gwrepo.git(work, "add", "a.txt")
    gwrepo.git(work, "commit", "-q", "-m", message)
    oid = gwrepo.git(work, "rev-parse", "HEAD").strip()
    gwrepo.git(work, "update-ref", "-d", "refs/heads/main")
    env = {**os.environ, "GIT_DIR": str(work / ".git"), "GITWARD_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-c", probe], input=f"{'0' * 40} {oid} refs/heads/main\n",
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip


def test_an_accepted_push_ends_without_teardown_but_with_atexit(tmp_path: Path) -> None:
    proc = run_hook(tmp_path, "JIRA-1: fine")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.endswith("gitward: push accepted (1 commit checked)\natexit ran, no gc\n")
    assert "teardown ran" not in proc.stderr


def test_a_refused_push_keeps_its_status_and_whole_report(tmp_path: Path) -> None:
    proc = run_hook(tmp_path, "no ticket")
    assert proc.returncode == 1
    assert "gitward: push refused" in proc.stderr and "gate/message" in proc.stderr
    assert proc.stderr.endswith("atexit ran, no gc\n") and "teardown ran" not in proc.stderr


def test_a_test_calling_main_is_not_ended(tmp_path: Path) -> None:
    # Not started as `gitward hook`: main returns, and the interpreter's teardown runs.
    probe = PROBE.replace('["gitward", "hook", "pre-receive"]', '["-c"]')
    probe = probe.replace("sys.exit(main())", 'sys.exit(main(["hook", "pre-receive"]))')
    proc = run_hook(tmp_path, "JIRA-1: fine", probe)
    assert proc.returncode == 0, proc.stderr
    assert "atexit ran\n" in proc.stderr and "teardown ran" in proc.stderr  # gc left on


@pytest.mark.parametrize("how", ["quick", "interpreter"])
def test_a_failed_flush_ends_with_120_as_the_interpreter_would(how: str) -> None:
    end = "exit_now(0)" if how == "quick" else "sys.exit(0)"
    code = f"""
import os, sys
from gitward.hook.quick_exit import exit_now
read, write = os.pipe()
os.close(read)
sys.stdout = open(write, "w")
sys.stdout.write("the pusher left")
{end}
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 120


class Ended(Exception):
    """os._exit, recorded: the status it was given."""


def ended_with(monkeypatch: pytest.MonkeyPatch, stdout: object, stderr: object) -> int:
    calls: list[str] = []

    def end(status: int) -> None:
        raise Ended(status)

    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: calls.append("atexit"))
    monkeypatch.setattr(os, "_exit", end)
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    with pytest.raises(Ended) as ended:
        exit_now(3)
    assert calls == ["atexit"]
    status = ended.value.args[0]
    assert isinstance(status, int)
    return status


class Broken(io.StringIO):
    def flush(self) -> None:
        raise BrokenPipeError


def test_exit_now_flushes_then_exits_with_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = io.StringIO()
    closed.close()
    assert ended_with(monkeypatch, io.StringIO(), closed) == 3  # a closed stream is skipped
    assert ended_with(monkeypatch, io.StringIO(), Broken()) == 120
    assert ended_with(monkeypatch, Broken(), io.StringIO()) == 120

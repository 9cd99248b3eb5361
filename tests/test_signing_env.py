"""RUST_LIB_BACKTRACE: importing gitward changes no environment (a web worker shares it); the
hook's own process sets it before the first signature is verified (pysequoia's errors are ~7x
cheaper without a captured backtrace, which a push of many bad signatures would feel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gwkeys
import gwrepo
import pytest
from gwpush import Signer, write_config

POLICY = """\
version: 1
rules:
  - id: signed
    refs: [refs/heads/main]
    signatures:
      signers: [alice]
"""

IMPORT = """
import json, os
before = dict(os.environ)
import gitward.signing, gitward.signing.openpgp, gitward.signing.ssh
print(json.dumps({k: v for k, v in os.environ.items() if before.get(k) != v}))
"""

# The hook's own process (`gitward hook pre-receive`), recording the variable at each verify.
# Its main does not return (hook.quick_exit ends the process), but atexit callbacks still run.
HOOK = """
import atexit, json, os, sys
from gitward.signing import openpgp, ssh
seen = []
for module in (openpgp, ssh):
    def spy(*args, _real=module.verify, **kwargs):
        seen.append(os.environ.get("RUST_LIB_BACKTRACE"))
        return _real(*args, **kwargs)
    module.verify = spy
atexit.register(lambda: print(json.dumps({"seen": seen})))
sys.argv = ["gitward", "hook", "pre-receive"]
from gitward.cli import main
sys.exit(main())
"""


def without_backtrace_vars() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("RUST_")}


def test_importing_the_signing_adapters_changes_no_environment() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT],
        capture_output=True,
        text=True,
        env=without_backtrace_vars(),
        check=True,
    )
    assert json.loads(proc.stdout) == {}


@pytest.mark.parametrize(("preset", "expected"), [(None, "0"), ("1", "1")])
def test_the_hook_sets_it_before_verifying(
    tmp_path: Path, gnupghome: Path, preset: str | None, expected: str
) -> None:
    config = write_config(tmp_path / "etc", POLICY, {"alice": Signer(ssh=True)})
    work = gwrepo.init(tmp_path / "work", bare=False)
    gwkeys.signed_commit(work, gnupghome, "ssh", "alice", "signed\n")
    oid = gwrepo.git(work, "rev-parse", "HEAD")
    gwrepo.git(work, "update-ref", "-d", "refs/heads/main")  # so the commit is new to the hook
    env = {**without_backtrace_vars(), "GIT_DIR": str(work / ".git"), "GITWARD_CONFIG": str(config)}
    if preset is not None:
        env["RUST_LIB_BACKTRACE"] = preset  # an explicit setting wins
    proc = subprocess.run(
        [sys.executable, "-c", HOOK],
        input=f"{'0' * 40} {oid} refs/heads/main\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,  # exit status 0: accepted
    )
    result = json.loads(proc.stdout)
    assert "push accepted (1 commit checked)" in proc.stderr
    assert result["seen"] == [expected], proc.stderr

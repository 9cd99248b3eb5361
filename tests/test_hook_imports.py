"""What a push pays for at start-up: the hook's import path stays free of heavy libraries.

Every push starts a fresh Python; the hook's added wall time is mostly imports (bench/run.py
measures it). These tests run a real `gitward hook pre-receive` in a subprocess that judges a
signed push, then list what got imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gwkeys
import gwrepo
from gwpush import Signer, write_config

POLICY = """\
version: 1
rules:
  - id: signed
    refs: [refs/heads/main]
    signatures:
      signers: [alice]
    messages:
      must_match: '^JIRA-[0-9]+: '
"""

# Libraries for other edges (receiver, CLI edits, tests) that must never load in the hook.
FORBIDDEN = (
    "git",  # GitPython: ~117 ms
    "gnupg",
    "flask",
    "requests",
    "gunicorn",
    "werkzeug",
    "redis",  # the receiver's queue back ends
    "huey",
    "rq",
    "sqlalchemy",
    "prometheus_client",
    "jwt",
    "ruamel",
    "jsonschema",
    "argparse",
    "gitward.signers.edit",
    "gitward.signers.add",
)

PROBE = """
import dataclasses, json, sys
# What the interpreter (and coverage.py, in a test run with --cov) loaded before: not the hook's.
before = set(sys.modules)
from gitward.cli import main
code = main(["hook", "pre-receive"])
mods = sorted(set(sys.modules) - before)
ours = [
    name for name, m in list(sys.modules.items()) if name.startswith("gitward") and m
    for v in vars(m).values()
    if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == name
]
# Modules with NamedTuples must not postpone annotations (see test_hook_imports_content).
future = __import__("__future__").annotations
postponed = sorted(
    name for name, m in list(sys.modules.items()) if name.startswith("gitward") and m
    if getattr(m, "annotations", None) is future
    and any(
        isinstance(v, type) and hasattr(v, "_fields") and v.__module__ == name
        for v in vars(m).values()
    )
)
print(json.dumps({"code": code, "modules": mods, "dataclasses": ours, "postponed": postponed}))
"""


def run_hook(tmp_path: Path, gnupghome: Path) -> dict[str, object]:
    config = write_config(tmp_path / "etc", POLICY, {"alice": Signer(ssh=True)})
    work = gwrepo.init(tmp_path / "work", bare=False)
    gwkeys.signed_commit(work, gnupghome, "ssh", "alice", "JIRA-1: fine\n")
    oid = gwrepo.git(work, "rev-parse", "HEAD").strip()
    # No ref may hold the commit, or the hook finds nothing new and verifies nothing.
    gwrepo.git(work, "update-ref", "-d", "refs/heads/main")
    git_dir = str(work / ".git")
    env = {**os.environ, "GIT_DIR": git_dir, "GITWARD_CONFIG": str(config), "USER": "tester"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=f"{'0' * 40} {oid} refs/heads/main\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "push accepted (1 commit checked)" in proc.stderr, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_the_hook_imports_nothing_heavy(tmp_path: Path, gnupghome: Path) -> None:
    result = run_hook(tmp_path, gnupghome)
    assert result["code"] == 0  # the probe really judged (and accepted) a signed push
    modules = result["modules"]
    assert isinstance(modules, list)
    loaded = {m for m in modules for f in FORBIDDEN if m == f or m.startswith(f + ".")}
    assert not loaded
    # Small, but every push would pay them: only a refusal wraps text, only CLI edits ask the
    # login name.
    assert {"textwrap", "getpass"}.isdisjoint(modules)


def test_the_hook_defines_no_dataclasses(tmp_path: Path, gnupghome: Path) -> None:
    # A frozen dataclass costs ~1 ms to create on Python 3.11 (generated code is exec'd); the
    # hook's values are NamedTuples (~0.08 ms). 51 dataclasses once cost a push ~45 ms.
    assert run_hook(tmp_path, gnupghome)["dataclasses"] == []


def test_the_hooks_namedtuples_skip_forward_references(tmp_path: Path, gnupghome: Path) -> None:
    # typing.NamedTuple turns each postponed (string) field annotation into a ForwardRef, which
    # compiles it: ~0.1 ms a class, ~8 ms a push over the hook's 88 NamedTuples.
    assert run_hook(tmp_path, gnupghome)["postponed"] == []

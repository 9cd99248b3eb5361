"""The content checks are pure like the rest of the engine: values in, findings out."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gitward.policy.content

# As tests/test_policy_engine.py allows for the engine's own modules.
ALLOWED = {
    "__future__",
    "collections.abc",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "re",
    "re2",  # secret rules run in RE2 (linear time), as policy patterns do
    "shlex",
    "types",
    "typing",
    "collections",  # Counter, for entropy
    "math",  # entropy
    "hashlib",  # fingerprints of findings (no I/O)
    "posixpath",  # path arithmetic on names from git trees (no file system)
    "unicodedata",  # case-only collisions compare case-folded names
    "gitward.model",
    "gitward.errors",
    "gitward.policy",
}
FORBIDDEN = ("subprocess", "yaml", "regopy", "git", "pysequoia", "flask", "requests")


def test_content_modules_import_nothing_impure() -> None:
    package = Path(gitward.policy.content.__file__).parent
    problems = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            problems += [
                f"{path.name}: import {n}"
                for n in names
                if n not in ALLOWED and not n.startswith("gitward.policy.")
            ]
            if isinstance(node, ast.Name) and node.id in {"open", "exec", "eval", "__import__"}:
                problems.append(f"{path.name}: {node.id}")
    assert problems == []


def test_importing_them_loads_no_yaml_and_no_rego_engine() -> None:
    code = (
        "import sys, gitward.policy.content.k8s, gitward.policy.content.twoperson\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

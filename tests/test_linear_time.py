"""Text the pusher controls never costs more than linear time: a crafted message, ref name or an
admin's careless pattern gets a normal verdict within the budget, never a budget timeout.

Python's backtracking `re` took cubic time on the DCO preset's regex against `Signed-off-by:`
and many spaces, and exponential time on `(a+)+$`; a glob turned into a regex took polynomial
time on `*-*-*-*` against a long name. Each case here ran out of the hook's budget before.
"""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import gwrepo
import pytest
from gwpush import write_config

import gitward.policy
from gitward.hook import main as hook

ZERO = "0" * 40
POLICY = """\
version: 1
settings:
  timeout_seconds: 10
rules:
  - id: dco
    refs: [refs/heads/dco]
    messages: {signed_off_by: true}
  - id: careless
    refs: [refs/heads/careless]
    messages: {must_match: '(a+)+$'}
  - id: odd-names
    refs: ["refs/heads/*-*-*-*-*-*x*"]
    protection: {block_creation: true}
"""
BUDGET = "ran out of its time budget"


def push(tmp_path: Path, message: str, ref: str) -> tuple[int, str]:
    """Run the hook in process on one new commit with `message` pushed to `ref`."""
    repo = gwrepo.init(tmp_path / "app.git")
    config = write_config(tmp_path / "etc", POLICY, {})
    oid = gwrepo.commit(repo, message)
    err = io.StringIO()
    env = {"GIT_DIR": str(repo), "USER": "tester"}
    code = hook.main(["--config", str(config)], io.StringIO(f"{ZERO} {oid} {ref}\n"), err, env)
    return code, err.getvalue()


@pytest.mark.parametrize(
    ("ref", "message", "violation"),
    [
        # The DCO preset: no trailer names the author, found in linear time.
        (
            "refs/heads/dco",
            "JIRA-1: x\n\nSigned-off-by:" + " " * 100_000 + "\n",
            "dco/signed-off-by",
        ),
        # An admin's pattern with nested quantifiers: RE2 runs it in linear time.
        ("refs/heads/careless", "a" * 50_000 + "b", "careless/message-pattern"),
    ],
)
def test_crafted_messages_get_a_normal_verdict(
    tmp_path: Path, ref: str, message: str, violation: str
) -> None:
    code, text = push(tmp_path, message, ref)
    assert code == 1
    assert violation in text
    assert BUDGET not in text


def test_a_long_ref_name_is_matched_against_globs_in_linear_time(tmp_path: Path) -> None:
    code, text = push(tmp_path, "JIRA-1: x\n", "refs/heads/" + "-" * 50_000)
    assert code == 0, text  # no rule matches (no `x`): accepted, and not by a timeout
    assert "push accepted" in text


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_a_pattern_re2_cannot_run_is_refused_without_noise_on_stderr() -> None:
    # RE2 logs parse errors to stderr by default ("WARNING: All log messages before
    # absl::InitializeLog() ..."), which in the hook is the pusher's terminal.
    out = run_python(
        "from gitward.policy import patterns\n"
        "print(patterns.problem('(a'), patterns.problem(r'a\\Z'), patterns.problem('a'))\n"
    )
    assert out.stdout == "missing ): (a invalid escape sequence: \\Z None\n"
    assert out.stderr == ""


def test_the_hook_refuses_a_policy_with_such_a_pattern_in_one_line(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "etc",
        "version: 1\nrules:\n  - id: r\n    refs: [refs/heads/main]\n"
        "    messages: {must_match: '(?<!x)y'}\n",
        {},
    )
    repo = gwrepo.init(tmp_path / "app.git")
    oid = gwrepo.commit(repo, "JIRA-1: x\n")
    env = {"GIT_DIR": str(repo), "GITWARD_CONFIG": str(config), "USER": "tester"}
    proc = subprocess.run(
        [Path(sys.executable).with_name("gitward"), "hook", "pre-receive"],
        input=f"{ZERO} {oid} refs/heads/main\n",
        capture_output=True,
        text=True,
        env=gwrepo.git_env(env),
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("gitward: push refused:")
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    log = (config.parent / "gitward-errors.log").read_text()
    assert "RE2 syntax" in log


PROBE = """
import json, sys
from gitward.cli import main
code = main(["hook", "pre-receive"])
print(json.dumps({"code": code, "re2": "re2" in sys.modules}))
"""


@pytest.mark.parametrize(
    ("messages", "imported"),
    [
        ("{subject_max_length: 72, blank_line_after_subject: true, signed_off_by: true}", False),
        ("{must_not_match: '(?i)wip'}", True),
    ],
)
def test_re2_is_imported_only_for_a_policy_with_patterns(
    tmp_path: Path, messages: str, imported: bool
) -> None:
    policy = (
        f"version: 1\nrules:\n  - id: r\n    refs: ['refs/heads/**']\n    messages: {messages}\n"
    )
    config = write_config(tmp_path / "etc", policy, {})
    repo = gwrepo.init(tmp_path / "app.git")
    oid = gwrepo.commit(repo, "JIRA-1: x\n\nSigned-off-by: Alice Example <alice@example.com>\n")
    env = {"GIT_DIR": str(repo), "GITWARD_CONFIG": str(config), "USER": "tester"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=f"{ZERO} {oid} refs/heads/main\n",
        capture_output=True,
        text=True,
        env=gwrepo.git_env(env),
        check=True,
    )
    assert json.loads(proc.stdout) == {"code": 0, "re2": imported}


def test_no_policy_module_uses_the_backtracking_re_module() -> None:
    """Regexes in the engine run on pusher text: RE2 (`patterns`) or hand-written matchers."""
    package = Path(gitward.policy.__file__).parent
    found = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [f"{path.name}: {a.name}" for a in node.names if a.name == "re"]
            elif isinstance(node, ast.ImportFrom) and node.module == "re":
                found.append(f"{path.name}: from re")
    assert found == []

"""Fix-it hints are commands a pusher may paste into a shell: every name in them that the push
(a tag name) or a signer file (an e-mail) controls is quoted, so the shell sees it as one
argument and runs nothing hidden in it. The checks hand each command to a real `sh` (with
names whose payload only echoes) and compare the words it gets.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest

from gitward.model import Commit, Person, Push, Pusher, RefFacts, RefUpdate, SignatureCheck
from gitward.policy import hints
from gitward.policy.engine import evaluate
from gitward.policy.spec import Policy, Rule, SignatureRule, Signers

OLD, NEW, ZERO = "a" * 40, "b" * 40, "0" * 40
# Harmless when run: without quoting they only print "pwned" or change the words.
HOSTILE = [
    "v1;echo pwned",
    "$(echo pwned)",
    "`echo pwned`",
    "v1|cat",
    "v1&&echo pwned",
    "it's",
    "v 1",
    "~root",
    "{base}",
]
COMMAND = re.compile(r"run `(.*)` and push")


def argv(hint: str) -> list[str]:
    """The words a POSIX shell makes of the hint's command (and nothing else it printed)."""
    found = COMMAND.search(hint)
    assert found is not None, hint
    script = f"set -- {found.group(1)}\nprintf '%s\\0' \"$@\""
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=False, timeout=10)
    return out.stdout.decode().split("\0")[:-1] + ([out.stderr.decode()] if out.stderr else [])


def tag_facts(name: str) -> RefFacts:
    return RefFacts(RefUpdate(ZERO, NEW, f"refs/tags/{name}"), None, {})


@pytest.mark.parametrize("name", HOSTILE)
def test_a_tag_name_is_one_quoted_argument(name: str) -> None:
    expected = ["git", "tag", "-f", "-s", name, NEW[:10]]
    assert argv(hints.resign_tag(tag_facts(name))) == expected
    with_email = hints.resign_tag(tag_facts(name), "alice@example.com")
    assert argv(with_email) == ["git", "-c", "user.email=alice@example.com", *expected[1:]]


def test_the_engine_hint_for_a_hostile_tag_name_quotes_it() -> None:
    rule = Rule("tags", ("refs/tags/**",), signatures=SignatureRule(("alice",)))
    push = Push(
        "r.git",
        Pusher("dev", "local"),
        datetime(2026, 3, 1, tzinfo=UTC),
        (tag_facts("v1;rm -rf ~"),),
        {},
    )
    (v,) = evaluate(Policy((rule,)), Signers(), push).violations
    assert f"`git tag -f -s 'v1;rm -rf ~' {NEW[:10]}`" in v.hint


@pytest.mark.parametrize(
    "email", ["a$(echo x)@example.com", "o'neil@example.com", "{0}@x", "a b@x"]
)
def test_an_email_is_one_quoted_argument_in_amend_and_rebase(email: str) -> None:
    who = Person("A", "a@example.com")
    facts = RefFacts(RefUpdate(OLD, NEW, "refs/heads/main"), True, {})
    for oid, tail in ((NEW, ["commit"]), ("c" * 40, ["rebase", "--exec"])):
        commit = Commit(oid, (OLD,), who, who, "x\n", SignatureCheck.unsigned())
        words = argv(hints.recommit_as(facts, commit, email))
        assert words[:3] == ["git", "-c", f"user.email={email}"]
        assert words[3 : 3 + len(tail)] == tail

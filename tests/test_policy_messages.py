"""The messages family of the policy engine: patterns, subject shape, Conventional Commits, DCO."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitward.model import Commit, Person, Push, Pusher, RefFacts, RefUpdate, SignatureCheck
from gitward.policy.engine import evaluate
from gitward.policy.spec import MessageRule, Policy, Rule, Signers, Treatment

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "a" * 40, "b" * 40
AUTHOR = Person("Alice Example", "alice@example.com")


def commit(message: str, *, parents: int = 1, oid: str = NEW) -> Commit:
    parent_ids = tuple(str(i) * 40 for i in range(1, parents + 1))
    return Commit(oid, parent_ids, AUTHOR, AUTHOR, message, SignatureCheck.unsigned())


def judge(rule: MessageRule, *commits: Commit) -> list[tuple[str, str]]:
    oids = tuple(c.oid for c in commits)
    facts = RefFacts(RefUpdate(OLD, oids[-1], "refs/heads/main"), True, {"msg": oids})
    push = Push("r.git", Pusher("alice", "ssh"), RECEIVED, (facts,), {c.oid: c for c in commits})
    policy = Policy((Rule("msg", ("refs/heads/**",), messages=rule),))
    return [(v.rule_id, v.mode) for v in evaluate(policy, Signers(), push).violations]


TICKET = MessageRule(must_match=r"^(JIRA-[0-9]+|FEATURE-[0-9]+): ")
NO_WIP = MessageRule(must_not_match=r"(?i)\bwip\b")
SHORT = MessageRule(subject_max_length=20)
BLANK = MessageRule(blank_line_after_subject=True)
CONV = MessageRule(conventional_commits=True)
DCO = MessageRule(signed_off_by=True)
SOB = "Signed-off-by: Alice Example <alice@example.com>"


def ids(*checks: str) -> list[tuple[str, str]]:
    return [(f"msg/{c}", "enforce") for c in checks]


@pytest.mark.parametrize(
    ("rule", "message", "expected"),
    [
        (TICKET, "JIRA-12: fix the thing\n", []),
        (TICKET, "FEATURE-7: add it\n\nbody\n", []),
        (TICKET, "fix the thing (JIRA-12)\n", ids("message-pattern")),
        (TICKET, "jira-12: fix\n", ids("message-pattern")),
        (NO_WIP, "JIRA-1: almost done\n", []),
        (NO_WIP, "JIRA-1: WIP almost done\n", ids("message-forbidden")),
        (NO_WIP, "JIRA-1: done\n\nstill wip in places\n", ids("message-forbidden")),
        (SHORT, "a" * 20 + "\n", []),
        (SHORT, "a" * 21 + "\n", ids("subject-length")),
        (SHORT, "short\n\n" + "b" * 200 + "\n", []),  # only the subject counts
        (BLANK, "subject only\n", []),
        (BLANK, "subject only", []),
        (BLANK, "subject\n\nbody\n", []),
        (BLANK, "subject\nbody right below\n", ids("blank-line")),
        (CONV, "feat: add a thing\n", []),
        (CONV, "fix(parser)!: drop the old syntax\n", []),
        (CONV, "revert: feat: add a thing\n", []),
        (CONV, "chore(deps): bump\n", []),
        (CONV, "feature: add a thing\n", ids("conventional-commits")),
        (CONV, "feat:add a thing\n", ids("conventional-commits")),
        (CONV, "feat(): add\n", ids("conventional-commits")),
        (CONV, "Feat: add a thing\n", ids("conventional-commits")),
        (CONV, "add a thing\n", ids("conventional-commits")),
        (DCO, f"JIRA-1: x\n\nbody\n\n{SOB}\n", []),
        (DCO, f"JIRA-1: x\n\n{SOB.lower()}\n", []),  # git's trailers are case-insensitive
        (DCO, "JIRA-1: x\n\nSigned-off-by: Bob <bob@example.com>\n", ids("signed-off-by")),
        (
            DCO,
            "JIRA-1: x\n\nSigned-off-by: Alice Example <eve@example.com>\n",
            ids("signed-off-by"),
        ),
        (DCO, "JIRA-1: x\n\nSigned-off-by: Eve <alice@example.com>\n", ids("signed-off-by")),
        (DCO, f"JIRA-1: x\n\nNot-{SOB}\n", ids("signed-off-by")),
        (DCO, "JIRA-1: x\n", ids("signed-off-by")),
        # Messages are read as git reads them: after leading blank lines, trailers as trailers.
        (MessageRule(subject_max_length=72), "\n" + "x" * 200 + "\n", ids("subject-length")),
        (SHORT, "a" * 10 + "\n" + "b" * 10 + "\n", ids("subject-length")),  # %s joins lines
        (SHORT, "a" * 20 + "\r\n\r\nbody\r\n", []),  # git drops trailing spaces and CRs
        (TICKET, "\nJIRA-12: fix the thing\n", []),
        (TICKET, " \t\n\r\nJIRA-12: fix the thing\n", []),
        (NO_WIP, "\n\nJIRA-1: done\n", []),
        # Patterns are RE2: `$` is the end of the text unless (?m); trailing spaces are kept.
        (MessageRule(must_match="^JIRA-1: x$"), "JIRA-1: x\n", ids("message-pattern")),
        (MessageRule(must_match="(?m)^JIRA-1: x$"), "JIRA-1: x\n", []),
        (MessageRule(must_not_match=r"(?m)[ \t\r]$"), "JIRA-1: x \n", ids("message-forbidden")),
        (MessageRule(must_not_match=r"(?m)[ \t\r]$"), "JIRA-1: x\r\n", ids("message-forbidden")),
        (BLANK, "\nsubject\n\nbody\n", []),
        (BLANK, "\n\nsubject\nbody right below\n", ids("blank-line")),
        (BLANK, "subject\n \t\nbody\n", []),  # whitespace-only is blank to git
        (CONV, "\n\nfeat: add a thing\n", []),
        (CONV, "feat: \u3000\n", ids("conventional-commits")),  # no visible description
        (DCO, f"JIRA-1: x\n\nquoted log:\n\n    {SOB}\n", ids("signed-off-by")),  # indented
        (DCO, f"JIRA-1: x\n\n{SOB}\n\nmore text after it\n", ids("signed-off-by")),  # mid-body
        (DCO, f"{SOB}\n", ids("signed-off-by")),  # the subject is never a trailer
        (DCO, f"\n{SOB}\n\nbody\n", ids("signed-off-by")),
        (DCO, "JIRA-1: x\n\nSigned-off-by : Alice Example <alice@example.com>\n", []),
        (DCO, f"JIRA-1: x\n\nbody right above\n{SOB}\n", []),  # git-written: a mixed block
        (DCO, "JIRA-1: x\n\nSigned-off-by: Alice Example\n <alice@example.com>\n", []),
        (DCO, f"JIRA-1: x\r\n\r\n{SOB}\r\n", []),
        (DCO, f"JIRA-1: x\n\n{SOB}\n# a comment git ignores\n", []),
        (DCO, f"JIRA-1: x\n\n{SOB} and more\n", ids("signed-off-by")),
        # Every failing check is reported, in a fixed order.
        (
            MessageRule(
                must_match="^JIRA",
                subject_max_length=5,
                blank_line_after_subject=True,
                conventional_commits=True,
                signed_off_by=True,
            ),
            "wip: too long\nno blank\n",
            ids(
                "message-pattern",
                "subject-length",
                "blank-line",
                "conventional-commits",
                "signed-off-by",
            ),
        ),
    ],
)
def test_message_checks(rule: MessageRule, message: str, expected: list[tuple[str, str]]) -> None:
    assert judge(rule, commit(message)) == expected


MERGE = 'Merge branch "topic"\n'
REVERT = 'Revert "JIRA-1: x"\n\nThis reverts commit 1111.\n'


@pytest.mark.parametrize(
    ("merges", "reverts", "message", "parents", "expected"),
    [
        ("skip", "check", MERGE, 2, []),
        ("check", "check", MERGE, 2, ids("message-pattern")),
        ("skip", "check", MERGE, 1, ids("message-pattern")),  # one parent: not a merge
        ("skip", "check", REVERT, 1, ids("message-pattern")),
        ("skip", "skip", REVERT, 1, []),
        ("check", "skip", 'Revert "x" and more\n', 2, []),  # a revert merge: either skip applies
        ("skip", "skip", "Reverted the change\n", 1, ids("message-pattern")),
        ("skip", "skip", "\n" + REVERT, 1, []),  # git's subject: after the blank line
    ],
)
def test_merges_and_reverts(
    merges: Treatment,
    reverts: Treatment,
    message: str,
    parents: int,
    expected: list[tuple[str, str]],
) -> None:
    rule = MessageRule(must_match="^JIRA-[0-9]+: ", merge_commits=merges, reverts=reverts)
    assert judge(rule, commit(message, parents=parents)) == expected


def test_messages_name_the_commit_and_the_fix() -> None:
    first = commit("x" * 100 + "\n", oid="1" * 40)
    tip = commit("JIRA-1: ok\n", oid="2" * 40)
    facts = RefFacts(
        RefUpdate(OLD, tip.oid, "refs/heads/main"), True, {"msg": (first.oid, tip.oid)}
    )
    push = Push("r.git", Pusher("a", "ssh"), RECEIVED, (facts,), {first.oid: first, tip.oid: tip})
    rules = (
        Rule(
            "msg",
            ("refs/heads/main",),
            messages=MessageRule(must_match="^JIRA-", signed_off_by=True),
        ),
    )
    found = evaluate(Policy(rules), Signers(), push).violations
    assert [(v.rule_id, v.oid) for v in found] == [
        ("msg/message-pattern", first.oid),
        ("msg/signed-off-by", first.oid),
        ("msg/signed-off-by", tip.oid),
    ]
    assert found[0].message == f'message does not match ^JIRA- ("{"x" * 59}…")'
    assert "git rebase -i aaaaaaaaaa" in found[0].hint
    assert "git rebase --signoff aaaaaaaaaa" in found[1].hint
    assert "Signed-off-by: Alice Example <alice@example.com>" in found[2].message
    assert "`git commit --amend --no-edit -s`" in found[2].hint

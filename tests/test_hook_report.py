"""The pusher's report: one block per refused ref, warnings apart, bypasses listed, all clean."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

from gitward.model import Bypass, Pusher, RefUpdate, Verdict, Violation
from gitward.pusher import Origin
from gitward.report import PREFIX, audit_record, refusal_line, render

OID = "1a2b3c4d5e" + "0" * 30
MAIN, TOPIC = "refs/heads/main", "refs/heads/topic"


def test_refused_refs_each_get_a_block_with_rule_commit_message_and_fix() -> None:
    verdict = Verdict(
        (
            Violation("protect-main/signature", MAIN, "commit is not signed", "run `x`", OID),
            Violation("protect-main/force-push", MAIN, "not a fast-forward"),
            Violation("tags/immutable", "refs/tags/v1", "tag v1 already exists"),
            Violation("style/conventional-commits", TOPIC, "not conventional", "", OID, "warn"),
        )
    )
    lines = render(verdict, 3)
    assert all(line.startswith(PREFIX) for line in lines)
    text = "\n".join(line.removeprefix(PREFIX) for line in lines)
    assert text.splitlines()[0] == "push refused: 3 problems on 2 refs"
    assert "ref refs/heads/main\n  protect-main/signature on 1a2b3c4d5e\n" in text
    assert "    commit is not signed\n    fix: run `x`\n" in text
    assert "ref refs/tags/v1\n  tags/immutable\n    tag v1 already exists" in text
    warn = text.index("warnings (not blocking):")
    assert text.index("refs/heads/topic: style/conventional-commits on 1a2b3c4d5e") > warn
    assert "accepted" not in text


def test_accepted_push_with_warnings_and_bypass() -> None:
    verdict = Verdict(
        (
            Violation("m/signature", MAIN, "unsigned", "", OID, "bypassed"),
            Violation("style/subject-length", MAIN, "subject too long", "", OID, "warn"),
        ),
        (Bypass("m", MAIN, "alice", "prod is down"),),
    )
    text = "\n".join(render(verdict, 1))
    assert "push refused" not in text
    assert 'refs/heads/main: m by alice: "prod is down"' in text
    assert "subject too long" in text
    assert text.endswith("push accepted (1 new commit checked)")


def test_strings_from_the_push_are_sanitised() -> None:
    evil_ref = "refs/heads/\x1b]52;c;AAAA\x07x\u202eyz"
    verdict = Verdict(
        (Violation("r/message-forbidden", evil_ref, "msg \x1b[2J\nnext \u2066", "h\x07", OID),),
        (Bypass("r", evil_ref, "m\x1bal", "why\x1b[31m\u202e" + "!" * 5000),),
    )
    lines = render(verdict)
    for line in lines:
        assert len(line) < 300
        assert not any(unicodedata.category(c) in {"Cc", "Cf"} for c in line), line


def test_lines_are_short_and_hints_split_only_between_sentences() -> None:
    message = "the quick brown fox jumps over the lazy dog " * 3
    hint = "run `git rebase --exec 'git commit --amend --no-edit -n -S' 1a2b3c4d5e`; or ask"
    lines = render(Verdict((Violation("a/signature", MAIN, message, hint, OID),)))
    assert max(len("remote: " + line) for line in lines) < 100
    assert (
        "gitward:     fix: run `git rebase --exec 'git commit --amend --no-edit -n -S' "
        "1a2b3c4d5e`" in lines
    )
    assert "gitward:          or ask" in lines
    wrapped = [line.removeprefix(PREFIX).strip() for line in lines[3:-2]]
    assert len(wrapped) > 1
    assert " ".join(wrapped) == message.strip()


def test_refusal_line_is_one_line() -> None:
    line = refusal_line("boom\nsecond line\x1b[0m")
    assert "\n" not in line
    assert line.startswith("gitward: push refused: boom second line")
    assert line.endswith("ask your git admin (details in the gitward log)")


def test_audit_record_is_json_with_the_decision() -> None:
    verdict = Verdict(
        (Violation("m/signature", MAIN, "unsigned", "", OID, "bypassed"),),
        (Bypass("m", MAIN, "alice", "hotfix"),),
    )
    record = audit_record(
        received_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        origin=Origin(Pusher("alice", "gitea", "3"), "team/app"),
        updates=[RefUpdate("0" * 40, OID, MAIN)],
        verdict_name="accepted",
        commits_checked=1,
        verdict=verdict,
        duration_ms=12,
    )
    again = json.loads(json.dumps(record))
    assert again["time"].startswith("2026-03-01T12:00:00")
    assert again["event"] == "push"
    assert again["pusher"] == {"name": "alice", "source": "gitea", "id": "3"}
    assert again["repository"] == "team/app"
    assert again["ref_updates"] == [{"ref": MAIN, "old": "0" * 40, "new": OID}]
    assert again["violations"][0]["mode"] == "bypassed"
    assert again["bypasses"] == [
        {"rule_id": "m", "ref": MAIN, "actor": "alice", "reason": "hotfix"}
    ]
    assert again["verdict"] == "accepted"
    assert again["commits_checked"] == 1
    assert again["duration_ms"] == 12

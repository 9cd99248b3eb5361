"""The pusher's report: one block per refused ref, warnings apart, bypasses listed, all clean."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

from gitward.audit import log as audit
from gitward.audit.record import audit_record
from gitward.model import Bypass, Origin, Outcome, Pusher, RefUpdate, Verdict, Violation
from gitward.report.render import PREFIX, refusal_line, render
from gitward.report.sanitize import ELLIPSIS

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
    assert text.endswith("push accepted (1 commit checked)")


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
    assert again["violations_total"] == 1 and again["bypasses_total"] == 1
    assert again["violation_counts"] == {"enforce": 0, "bypassed": 1, "warn": 0}
    assert again["commits_checked"] == 1
    assert again["duration_ms"] == 12


def many(count: int, ref: str, mode: Outcome = "enforce") -> list[Violation]:
    return [
        Violation("broad/signature", ref, f"problem {i}", "sign it", f"{i:040x}", mode)
        for i in range(count)
    ]


def listed(lines: list[str]) -> list[str]:
    """The violation lines of a report (rule id and commit)."""
    return [line for line in lines if "broad/signature on" in line]


def test_report_lists_at_most_20_per_ref_and_50_in_all_then_how_many_more() -> None:
    # Creating a branch under a broad rule: one violation per commit, 100,000 of them.
    violations = many(100_000, MAIN) + many(30, TOPIC) + many(5, "refs/heads/c")
    violations += many(40, "refs/heads/w", "warn")
    lines = render(Verdict(tuple(violations)))
    text = [line.removeprefix(PREFIX) for line in lines]
    assert text[0] == "push refused: 100035 problems on 3 refs"
    blocking = [line for line in listed(lines) if line.startswith(PREFIX + "  broad/")]
    assert len(blocking) == 45  # 20 + 20 + 5: every ref block shown, capped
    assert text.count("ref refs/heads/main") == 1 and "ref refs/heads/c" in text
    assert text.index("warnings (not blocking):") > text.index("ref refs/heads/c")
    warned = [line for line in text if line.startswith("  refs/heads/w: broad/signature")]
    assert len(warned) == 5  # what the total leaves for warnings, blocking came first
    assert f"{ELLIPSIS} and {100_075 - 50} more (run `gitward check` on the pushed range, " in (
        "\n".join(text)
    )
    assert len(lines) < 50 * 3 + 10
    assert max(len("remote: " + line) for line in lines) < 100


def test_a_ref_cut_by_the_total_is_counted_not_shown() -> None:
    refs = [f"refs/heads/b{i}" for i in range(5)]
    lines = render(Verdict(tuple(v for ref in refs for v in many(20, ref))))
    text = [line.removeprefix(PREFIX) for line in lines]
    assert text[0] == "push refused: 100 problems on 5 refs"
    assert [line for line in text if line.startswith("ref ")] == [
        "ref refs/heads/b0",
        "ref refs/heads/b1",
        "ref refs/heads/b2",
    ]
    assert len(listed(lines)) == 50
    assert text[-1].startswith(f"{ELLIPSIS} and 50 more (")


def test_a_short_report_has_no_more_line() -> None:
    lines = render(Verdict(tuple(many(20, MAIN) + many(20, TOPIC, "warn"))))
    assert len(listed(lines)) == 40
    assert not any(ELLIPSIS in line for line in lines)


def test_report_bounds_bypasses() -> None:
    bypasses = tuple(Bypass("m", f"refs/heads/b{i}", "alice", "hotfix") for i in range(500))
    lines = render(Verdict((), bypasses))
    assert sum('by alice: "hotfix"' in line for line in lines) == 20
    assert f"gitward:   {ELLIPSIS} and 480 more (see the audit log)" in lines


def record_for(verdict: Verdict, updates: list[RefUpdate] | None = None) -> dict[str, Any]:
    record = audit_record(
        received_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        origin=None,
        updates=updates or [],
        verdict_name="refused",
        commits_checked=0,
        verdict=verdict,
        duration_ms=1,
    )
    parsed: dict[str, Any] = json.loads(audit.encode(record))
    return parsed


def test_audit_record_keeps_counts_and_at_most_100_violations_blocking_first() -> None:
    violations = many(200_000, TOPIC, "warn") + many(150, MAIN) + many(7, MAIN, "bypassed")
    bypasses = tuple(Bypass("m", f"refs/heads/b{i}", "alice", "x" * 5000) for i in range(80))
    record = record_for(Verdict(tuple(violations), bypasses))
    assert record["violations_total"] == 200_157
    assert record["violation_counts"] == {"enforce": 150, "bypassed": 7, "warn": 200_000}
    assert len(record["violations"]) == 100
    assert {v["mode"] for v in record["violations"]} == {"enforce"}
    assert record["violations"][0]["message"] == "problem 0"
    assert record["bypasses_total"] == 80
    assert len(record["bypasses"]) == 50
    assert len(record["bypasses"][0]["reason"]) == 1000
    assert len(audit.encode(record)) < 80_000  # not megabytes


def test_audit_record_orders_blocking_then_bypassed_then_warnings() -> None:
    violations = many(3, TOPIC, "warn") + many(2, MAIN, "bypassed") + many(1, MAIN)
    modes = [v["mode"] for v in record_for(Verdict(tuple(violations)))["violations"]]
    assert modes == ["enforce", "bypassed", "bypassed", "warn", "warn", "warn"]


def test_undecodable_ref_bytes_read_the_same_in_every_field() -> None:
    raw = "refs/heads/raw\udcff"  # byte 0xFF from git's stdin, read with surrogateescape
    verdict = Verdict(
        (Violation("style/conventional-commits", raw, "subject \udcfe", "", OID, "warn"),),
        (Bypass("m", raw, "alice", "why \udcfd"),),
    )
    record = record_for(verdict, [RefUpdate("0" * 40, OID, raw)])
    refs = {record["ref_updates"][0]["ref"], record["violations"][0]["ref"]}
    assert refs | {record["bypasses"][0]["ref"]} == {"refs/heads/raw\\xff"}
    assert record["violations"][0]["message"] == "subject \udcfe"  # kept, escaped as JSON
    lines = render(verdict)
    assert "gitward:   refs/heads/raw\\xff: style/conventional-commits on 1a2b3c4d5e" in lines

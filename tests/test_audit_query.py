"""Which records `gitward audit tail/search` keep, and how one reads on a terminal. PURE."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitward.audit import show
from gitward.audit.query import Query, instant, matches

PUSH: dict[str, object] = {
    "time": "2026-03-01T12:00:00.123Z",
    "event": "push",
    "actor": "alice",
    "repository": "acme/deploy",
    "pusher": {"name": "alice", "source": "gitea", "id": "7"},
    "ref_updates": [{"ref": "refs/heads/main", "old": "3f" * 20, "new": "9b" * 20}],
    "verdict": "accepted",
    "violation_counts": {"enforce": 0, "bypassed": 1, "warn": 0},
    "violations": [{"rule_id": "protect-main/signature", "mode": "bypassed"}],
    "bypasses": [{"rule_id": "protect-main", "reason": "INC-42"}],
    "prev": "sha256:" + "0" * 64,
}
EDIT: dict[str, object] = {
    "time": "2026-03-02T08:00:00.000Z",
    "event": "signers.add",
    "actor": "admin",
    "signer": "bob",
    "details": {"name": "Bob"},
}


@pytest.mark.parametrize(
    ("query", "push", "edit"),
    [
        (Query(), True, True),
        (Query(events=("push",)), True, False),
        (Query(events=("signers.*",)), False, True),
        (Query(events=("push", "signers.add")), True, True),
        (Query(actors=("admin",)), False, True),
        (Query(signers=("bob",)), False, True),
        (Query(signers=("alice",)), False, False),
        (Query(pushers=("alice",)), True, False),
        (Query(pushers=("al*",)), True, False),
        (Query(repositories=("acme/*",)), True, False),
        (Query(repositories=("other/*",)), False, False),
        (Query(verdicts=("accepted",)), True, False),
        (Query(verdicts=("refused",)), False, False),
        (Query(rules=("protect-main",)), True, False),
        (Query(rules=("protect-main/signature",)), True, False),
        (Query(rules=("*/signature",)), True, False),
        (Query(rules=("protect-*",)), True, False),
        (Query(rules=("signature",)), False, False),
        (Query(events=("push",), verdicts=("refused",)), False, False),
        (Query(since=instant("2026-03-01T12:00:00.123Z")), True, True),
        (Query(since=instant("2026-03-02")), False, True),
        (Query(until=instant("2026-03-01", end_of_day=True)), True, False),
        (Query(until=instant("2026-03-01T12:00:00.123Z")), False, False),
        (Query(until=instant("2026-03-02T09:00:00+01:00")), True, False),
    ],
)
def test_filters(query: Query, push: bool, edit: bool) -> None:
    assert (matches(PUSH, query), matches(EDIT, query)) == (push, edit)


def test_odd_records_never_match_a_filter_they_lack() -> None:
    odd = {"event": 7, "pusher": "alice", "violations": ["x", {"rule_id": 3}], "time": "soon"}
    assert not matches(odd, Query(events=("*",)))
    assert matches(odd, Query(pushers=("alice",)))  # a pusher given as a plain name
    assert not matches(odd, Query(rules=("*",)))
    assert not matches(odd, Query(since=datetime(2000, 1, 1, tzinfo=UTC)))
    assert not matches({"time": 5}, Query(until=datetime(2100, 1, 1, tzinfo=UTC)))


def test_instant() -> None:
    assert instant("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)
    assert instant("2026-03-01", end_of_day=True) == datetime(2026, 3, 2, tzinfo=UTC)
    assert instant("2026-03-01T12:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert instant("2026-03-01T13:00+01:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        instant("yesterday")


def test_a_push_reads_as_one_line() -> None:
    assert show.line(PUSH) == (
        "2026-03-01T12:00:00.123Z push alice: accepted via gitea to acme/deploy "
        "refs/heads/main 3f3f3f3f3f..9b9b9b9b9b 1 bypassed rules protect-main/signature "
        "bypass protect-main (INC-42)"
    )


def test_an_error_push_with_many_refs() -> None:
    record = {
        **PUSH,
        "actor": None,
        "pusher": {"name": None, "source": "git-daemon", "id": None},
        "ref_updates": [
            "not an update",
            *({"ref": f"refs/heads/b{i}", "old": "0" * 40, "new": "1" * 40} for i in range(4)),
        ],
        "verdict": "error",
        "violation_counts": {"enforce": 0, "bypassed": 0, "warn": 0},
        "violations": [],
        "bypasses": [],
        "error": "the check ran out of its time budget (4 s)",
    }
    text = show.line(record)
    assert text.startswith("2026-03-01T12:00:00.123Z push -: error via git-daemon")
    assert "refs/heads/b1 " in text and "refs/heads/b2" not in text and "(+2 refs)" in text
    assert text.endswith("error: the check ran out of its time budget (4 s)")


def test_signer_edits_rotations_and_unknown_events() -> None:
    assert show.line(EDIT) == ('2026-03-02T08:00:00.000Z signers.add admin: bob {"name":"Bob"}')
    rotated = {"time": "t", "event": "audit.rotate", "actor": "root", "details": {"file": "f"}}
    assert show.line(rotated) == "t audit.rotate root: continues f (None lines)"
    assert show.line({"event": "audit.rotate", "details": 1}).endswith(
        "continues None (None lines)"
    )
    later = {
        "time": "t",
        "event": "someday.event",  # an event this version does not know
        "actor": "bot",
        "state": "failure",
        "prev": "x",
    }
    assert show.line(later) == 't someday.event bot: {"state":"failure"}'
    assert show.line({}) == "- - -: {}"


def test_pusher_text_cannot_reach_the_terminal_raw() -> None:
    hostile = {**PUSH, "actor": "a\x1b[2Jb", "bypasses": [{"rule_id": "r", "reason": "\u202eX\n"}]}
    text = show.line(hostile)
    assert "\x1b" not in text and "\u202e" not in text and "\n" not in text
    assert "a\\x1b[2Jb" in text and "\\u202eX" in text


def test_a_receiver_verdict_reads_as_one_line() -> None:
    verdict = {"time": "t", "event": "receiver.verdict", "actor": "bob", "forge": "gh",
               "kind": "pull_request", "number": 7, "repository": "acme/app",
               "ref": "refs/heads/main", "commit": "ab" * 20, "verdict": "refused",
               "violations": [{"rule_id": "protect-main/signature"}],
               "delivery_id": "d-1"}  # fmt: skip
    assert show.line(verdict) == (
        "t receiver.verdict bob: refused via gh pull request #7 into acme/app refs/heads/main "
        "at ababababab rules protect-main/signature (delivery d-1)"
    )
    sparse = show.line({"event": "receiver.verdict", "kind": "push", "error": "x"})
    assert sparse == "- receiver.verdict -: - via - push to - - at - error: x (delivery -)"

"""Recent decisions of the hook (audit log "push" lines) and the receiver (its
"receiver.verdict" lines, and finished jobs the log does not hold, judged before it did):
accepted and refused per day, and refusals per rule, drawn as a small server-side SVG. PURE
apart from `from_audit` / `from_jobs`, which only turn records into `Decision` values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

DAYS = 14
_RECEIVER = {"success": "accepted", "warning": "accepted", "failure": "refused"}


class Decision(NamedTuple):
    day: date
    source: str  # "hook" | "receiver"
    outcome: str  # "accepted" | "refused" | "error"
    rules: tuple[str, ...]  # rule ids of blocking violations


class Bar(NamedTuple):
    day: date
    accepted: int
    refused: int
    x: int
    accepted_y: int
    accepted_h: int
    refused_y: int
    refused_h: int


class Chart(NamedTuple):
    bars: tuple[Bar, ...]
    per_rule: tuple[tuple[str, int], ...]  # most refusals first
    top: int  # the y axis' maximum
    width: int
    height: int
    totals: Mapping[str, int]


def _day(stamp: object) -> date | None:
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).astimezone(UTC).date()
    except ValueError:
        return None


def _blocking(violations: object) -> tuple[str, ...]:
    found = violations if isinstance(violations, list) else []
    return tuple(
        str(v.get("rule_id"))
        for v in found
        if isinstance(v, dict) and v.get("mode", "enforce") == "enforce"
    )


_SOURCES = {"push": "hook", "receiver.verdict": "receiver"}


def from_audit(records: Iterable[Mapping[str, Any]]) -> list[Decision]:
    out = []
    for r in records:
        day = _day(r.get("time"))
        source = _SOURCES.get(str(r.get("event")))
        if source is not None and day is not None:
            verdict = str(r.get("verdict"))
            outcome = verdict if verdict in ("accepted", "refused") else "error"
            out.append(Decision(day, source, outcome, _blocking(r.get("violations"))))
    return out


def audited_jobs(records: Iterable[Mapping[str, Any]]) -> set[str]:
    """Ids of the receiver jobs whose verdicts the audit log holds (not to count them twice)."""
    return {str(r.get("job")) for r in records if r.get("event") == "receiver.verdict"}


def from_jobs(results: Iterable[Mapping[str, Any]]) -> list[Decision]:
    out = []
    for r in results:
        day = _day(r.get("finished"))
        if day is not None:
            outcome = _RECEIVER.get(str(r.get("state")), "error")
            out.append(Decision(day, "receiver", outcome, _blocking(r.get("violations"))))
    return out


def chart(decisions: Iterable[Decision], today: date, days: int = DAYS) -> Chart:
    first = today - timedelta(days=days - 1)
    per_day: Counter[tuple[date, str]] = Counter()
    per_rule: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for d in decisions:
        if first <= d.day <= today:
            per_day[d.day, d.outcome] += 1
            totals[d.outcome] += 1
            per_rule.update(set(d.rules))
    span = [first + timedelta(days=i) for i in range(days)]
    top = max([per_day[d, "accepted"] + per_day[d, "refused"] for d in span] + [1])
    width, height, step = 28 * days, 120, 28
    bars = []
    for i, day in enumerate(span):
        ok, bad = per_day[day, "accepted"], per_day[day, "refused"]
        bad_h = round(bad * height / top)
        ok_h = round(ok * height / top)
        bars.append(
            Bar(day, ok, bad, i * step + 4, height - bad_h - ok_h, ok_h, height - bad_h, bad_h)
        )
    return Chart(tuple(bars), tuple(per_rule.most_common(20)), top, width, height, dict(totals))

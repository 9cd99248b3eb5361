"""Which audit records `gitward audit tail/search` show. PURE.

Every filter is a list of shell-style patterns (`*`, `?`, `[...]`; a plain word matches only
itself): a record passes a filter when one of its patterns matches, and passes the query when
it passes every filter given. Time bounds compare with the record's `time`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from typing import NamedTuple


class Query(NamedTuple):
    events: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    signers: tuple[str, ...] = ()
    pushers: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    since: datetime | None = None  # records at or after
    until: datetime | None = None  # records before


def instant(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date or date and time as an aware UTC instant (no zone: UTC). A bare date is its
    midnight, or with `end_of_day` the next midnight (`--until 2026-03-01` takes the whole
    day). Raises ValueError."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end_of_day else moment
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def matches(record: Mapping[str, object], query: Query) -> bool:
    """Whether `record` passes every filter of `query`."""
    pusher = record.get("pusher")
    checks = (
        (query.events, [record.get("event")]),
        (query.actors, [record.get("actor")]),
        (query.signers, [record.get("signer")]),
        (query.pushers, [pusher.get("name") if isinstance(pusher, dict) else pusher]),
        (query.repositories, [record.get("repository")]),
        (query.verdicts, [record.get("verdict")]),
        (query.rules, _rule_names(record)),
    )
    if not all(_any(patterns, values) for patterns, values in checks if patterns):
        return False
    if query.since is None and query.until is None:
        return True
    when = _time(record.get("time"))
    if when is None:
        return False
    return (query.since is None or when >= query.since) and (
        query.until is None or when < query.until
    )


def _any(patterns: Iterable[str], values: Iterable[object]) -> bool:
    texts = [v for v in values if isinstance(v, str)]
    return any(fnmatchcase(t, p) for p in patterns for t in texts)


def _rule_names(record: Mapping[str, object]) -> list[object]:
    """`rule/check` of every violation and `rule` of every bypass, each also as `rule`."""
    names: list[object] = []
    for key in ("violations", "bypasses"):
        entries = record.get(key)
        for entry in entries if isinstance(entries, list) else ():
            rule_id = entry.get("rule_id") if isinstance(entry, dict) else None
            if isinstance(rule_id, str):
                names += [rule_id, rule_id.partition("/")[0]]
    return names


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return instant(value)
    except ValueError:
        return None

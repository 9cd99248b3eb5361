"""Dates in the configuration: the `Date` field type and `to_utc`, the instant a value names.

A YAML date, a YAML datetime or an ISO 8601 string; dates and naive datetimes are UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from gitward.config.fields import JSON, KeyPath, Problems, Stateless, expected

_DATE_WHAT = "a date (2026-01-31) or a date and time (2026-01-31T12:00:00Z)"
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9:.]+([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"


class Date(Stateless):
    """A YAML date/datetime or an ISO 8601 string; dates and naive datetimes are UTC."""

    __slots__ = ()

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        parsed = to_utc(value)
        return parsed if parsed is not None else expected(out, path, _DATE_WHAT, value)

    def schema(self) -> JSON:
        return {"type": "string", "pattern": f"^(?:{_ISO_DATE})$"}


def to_utc(value: object) -> datetime | None:
    """The instant a YAML date value names, timezone-aware; None if it is not a date."""
    if isinstance(value, str):
        if not re.fullmatch(_ISO_DATE, value):
            return None
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None

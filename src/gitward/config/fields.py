"""One table of field types that both validates loaded YAML values and emits the JSON Schema.

Each type's `check` returns the converted value (lists become tuples) or `INVALID`, appending a
`(key path, what was expected)` problem for every mistake it finds: validation never stops at
the first problem. `schema()` describes the same constraint in JSON Schema (draft 2020-12), so
the schema editors use and the loader cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Final, NamedTuple, Protocol

KeyPath = tuple[str | int, ...]
Problems = list[tuple[KeyPath, str]]
JSON = dict[str, object]


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()


def describe(value: object) -> str:
    """A short, safe rendering of a YAML value for "got ..." messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...")
    return repr(value)[:60]


def expected(out: Problems, path: KeyPath, what: str, value: object) -> _Invalid:
    """Record "expected WHAT, got VALUE" at `path`; returns INVALID for `return expected(...)`."""
    out.append((path, f"expected {what}, got {describe(value)}"))
    return INVALID


class Type(Protocol):
    def check(self, value: object, path: KeyPath, out: Problems) -> object: ...

    def schema(self) -> JSON: ...


class _Stateless:
    """Base of the field types without parameters: equal when of the same type (as values).

    Not a NamedTuple: an empty tuple is falsy, and two different empty ones compare equal."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True if type(other) is type(self) else NotImplemented

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Bool(_Stateless):
    __slots__ = ()

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if isinstance(value, bool):
            return value
        return expected(out, path, "true or false", value)

    def schema(self) -> JSON:
        return {"type": "boolean"}


class Int(NamedTuple):
    """An integer >= minimum (YAML `true` is not an integer here)."""

    minimum: int = 1
    what: str = "a positive integer"

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and value >= self.minimum:
            return value
        return expected(out, path, self.what, value)

    def schema(self) -> JSON:
        return {"type": "integer", "minimum": self.minimum}


class Number(NamedTuple):
    """A number strictly greater than zero and at most `maximum`; converted to float."""

    maximum: float = 3600.0

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and 0 < float(value) <= self.maximum:  # type: ignore[arg-type]  # checked above
            return float(value)  # type: ignore[arg-type]
        return expected(out, path, f"a number of seconds > 0 and <= {self.maximum:g}", value)

    def schema(self) -> JSON:
        return {"type": "number", "exclusiveMinimum": 0, "maximum": self.maximum}


class Str(NamedTuple):
    """A string; with `pattern`, it must match it entirely (the schema anchors it likewise)."""

    what: str = "a string"
    pattern: str | None = None
    min_length: int = 0
    max_length: int = 1000

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if (
            isinstance(value, str)
            and self.min_length <= len(value) <= self.max_length
            and (self.pattern is None or re.fullmatch(self.pattern, value))
        ):
            return value
        return expected(out, path, self.what, value)

    def schema(self) -> JSON:
        out: JSON = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            out["minLength"] = self.min_length
        if self.pattern is not None:
            out["pattern"] = f"^(?:{self.pattern})$"
        return out


class Regex(_Stateless):
    """A Python regular expression, compiled at load so a typo is reported with its line."""

    __slots__ = ()

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if not isinstance(value, str) or not value:
            return expected(out, path, "a regular expression", value)
        try:
            re.compile(value)
        except re.error as exc:
            out.append((path, f"expected a valid regular expression, got {describe(value)}: {exc}"))
            return INVALID
        return value

    def schema(self) -> JSON:
        return {"type": "string", "minLength": 1, "format": "regex"}


class Enum(NamedTuple):
    values: tuple[str, ...]

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if isinstance(value, str) and value in self.values:
            return value
        return expected(out, path, f"one of {', '.join(self.values)}", value)

    def schema(self) -> JSON:
        return {"type": "string", "enum": list(self.values)}


class Const(NamedTuple):
    value: int

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and value == self.value:
            return value
        return expected(out, path, str(self.value), value)

    def schema(self) -> JSON:
        return {"const": self.value}


_DATE_WHAT = "a date (2026-01-31) or a date and time (2026-01-31T12:00:00Z)"
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9:.]+([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"


class Date(_Stateless):
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

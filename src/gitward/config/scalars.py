"""Scalar field types: booleans, numbers, strings, regular expressions, enums (dates: `dates`).

Like every field type (`fields`), each validates a loaded YAML value (collecting every problem)
and describes itself as JSON Schema.
"""

import re
from typing import NamedTuple

from gitward.config.fields import INVALID, JSON, KeyPath, Problems, Stateless, describe, expected
from gitward.policy import pathglobs, patterns


class Bool(Stateless):
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


class Regex(Stateless):
    """A regular expression in RE2 syntax, compiled at load so a typo, or syntax RE2 cannot run
    (backreferences, lookaround, `\\Z`), is reported with its line. The engine runs policy
    patterns with RE2 (`gitward.policy.patterns`: linear time on pusher text)."""

    __slots__ = ()

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if not isinstance(value, str) or not value:
            return expected(out, path, "a regular expression", value)
        problem = patterns.problem(value)
        if problem is not None:
            what = f"expected a regular expression in RE2 syntax ({patterns.SYNTAX})"
            out.append((path, f"{what}, got {describe(value)}: {problem}"))
            return INVALID
        return value

    def schema(self) -> JSON:
        # `format: regex` is ECMA-262 to JSON Schema, not RE2: close enough for an editor to
        # flag an unclosed group; the loader is the judge of RE2 syntax.
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


class PathGlob(Stateless):
    """A path glob as `.gitignore` writes them (`gitward.policy.pathglobs`), checked at load."""

    __slots__ = ()

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if not isinstance(value, str):
            return expected(out, path, "a path glob", value)
        problem = pathglobs.problem(value)
        if problem is not None:
            what = f"expected a path glob (.gitignore style), got {describe(value)}"
            out.append((path, f"{what}: {problem}"))
            return INVALID
        return value

    def schema(self) -> JSON:
        return {"type": "string", "minLength": 1}

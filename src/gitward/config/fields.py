"""Field types: one table of types that both validates loaded YAML values and emits the JSON
Schema. This module holds what they share; the types are in `scalars` and `shapes`.

Each type's `check` returns the converted value (lists become tuples) or `INVALID`, appending a
`(key path, what was expected)` problem for every mistake it finds: validation never stops at
the first problem. `schema()` describes the same constraint in JSON Schema (draft 2020-12), so
the schema editors use and the loader cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final, Protocol

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


class Stateless:
    """Base of the field types without parameters: equal when of the same type (as values).

    Not a NamedTuple: an empty tuple is falsy, and two different empty ones compare equal."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True if type(other) is type(self) else NotImplemented

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

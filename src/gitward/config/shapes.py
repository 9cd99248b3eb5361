"""Composite field types: lists, maps and mappings with known keys (`Obj`).

Like the scalar types in `scalars`, each validates loaded YAML (collecting every problem) and
describes itself as JSON Schema.
"""

from collections.abc import Mapping
from typing import NamedTuple

from gitward.config.fields import INVALID, JSON, KeyPath, Problems, Type, describe, expected
from gitward.config.scalars import Str


class ListOf(NamedTuple):
    item: Type
    min_items: int = 0
    what: str = "a list"

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if not isinstance(value, list):
            return expected(out, path, self.what, value)
        if len(value) < self.min_items:
            return expected(out, path, f"a non-empty {self.what.removeprefix('a ')}", value)
        items = [self.item.check(v, (*path, i), out) for i, v in enumerate(value)]
        return INVALID if any(i is INVALID for i in items) else tuple(items)

    def schema(self) -> JSON:
        out: JSON = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        return out


class MapOf(NamedTuple):
    key: Str
    value: Type

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if not isinstance(value, dict):
            return expected(out, path, "a mapping", value)
        result: dict[str, object] = {}
        for k, v in value.items():
            if self.key.check(k, (*path, str(k)), out) is INVALID:
                result[str(k)] = INVALID
                continue
            result[k] = self.value.check(v, (*path, k), out)
        return INVALID if any(v is INVALID for v in result.values()) else result

    def schema(self) -> JSON:
        return {
            "type": "object",
            "propertyNames": self.key.schema(),
            "additionalProperties": self.value.schema(),
        }


class Field(NamedTuple):
    type: Type
    doc: str
    required: bool = False
    default: object = None  # documentation / schema only; spec.py holds the real defaults


class Obj(NamedTuple):
    """A mapping with known keys. Unknown keys are errors: a typo must not disable a rule."""

    fields: Mapping[str, Field]
    doc: str = ""
    # At least one of these keys must be present (a rule that checks nothing is a mistake).
    one_of_required: tuple[str, ...] = ()

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if not isinstance(value, dict):
            return expected(out, path, f"a mapping with keys {', '.join(self.fields)}", value)
        result: dict[str, object] = {}
        for k, v in value.items():
            spec = self.fields.get(k) if isinstance(k, str) else None
            if spec is None:
                out.append(((*path, str(k)), self._unknown(k)))
                result[str(k)] = INVALID
                continue
            result[k] = spec.type.check(v, (*path, k), out)
        for name, spec in self.fields.items():
            if spec.required and name not in value:
                out.append((path, f"missing required key {name!r}"))
                result[name] = INVALID
        if self.one_of_required and not any(k in value for k in self.one_of_required):
            out.append((path, "expected at least one of " + ", ".join(self.one_of_required)))
            result["<one-of>"] = INVALID
        return INVALID if any(v is INVALID for v in result.values()) else result

    def _unknown(self, key: object) -> str:
        import difflib  # noqa: PLC0415  # only on the error path

        close = difflib.get_close_matches(str(key), list(self.fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {describe(key)}, expected one of {', '.join(self.fields)}{hint}"

    def schema(self) -> JSON:
        props: JSON = {}
        for name, spec in self.fields.items():
            prop = {"description": spec.doc, **spec.type.schema()}
            if spec.default is not None:
                prop["default"] = spec.default
            props[name] = prop
        out: JSON = {"type": "object", "additionalProperties": False, "properties": props}
        if self.doc:
            out["description"] = self.doc
        required = [n for n, s in self.fields.items() if s.required]
        if required:
            out["required"] = required
        if self.one_of_required:
            out["anyOf"] = [{"required": [k]} for k in self.one_of_required]
        return out

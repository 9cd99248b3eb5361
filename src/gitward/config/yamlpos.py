"""YAML text -> plain Python values plus the line of every key and list item.

PyYAML's C composer builds the node graph (fast, ~1 ms for a policy file); this module walks it
once, building dicts/lists and recording `key path -> line` so that validation errors can say
`policy.yaml:12: rules[0].mode: ...`. Scalars are resolved by PyYAML's safe constructor (ints,
bools, dates, ...). Duplicate keys, recursive aliases and non-standard collection tags are
reported as problems instead of being silently resolved: PyYAML's own loader keeps the last of
two duplicate keys, which would let a second `mode: warn` quietly disable a rule.
"""

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

import yaml

from gitward.config.fields import KeyPath, Problems

# The C loader composes ~10x faster than the pure-Python one; fall back only if libyaml is
# missing (same results, slower).
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
# Alias expansion could turn a small file into a huge tree ("billion laughs").
_MAX_NODES = 200_000
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class YamlSyntaxError(Exception):
    """The text is not one well-formed YAML document. `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


class Document(NamedTuple):
    value: object
    lines: Mapping[KeyPath, int] = MappingProxyType({})
    problems: tuple[tuple[KeyPath, str], ...] = ()

    def line_of(self, path: KeyPath) -> int:
        """Line of `path`, or of its nearest recorded ancestor (for missing keys); 1 at worst."""
        for n in range(len(path), -1, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return line
        return 1

    def problem(self, file: object, path: KeyPath, message: str) -> str:
        """`FILE:LINE: key.path: message`, the one format every config problem uses."""
        where = format_path(path)
        return f"{file}:{self.line_of(path)}: {where + ': ' if where else ''}{message}"


def format_path(path: KeyPath) -> str:
    """`("rules", 0, "messages", "must_match")` -> `rules[0].messages.must_match`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _KEY_RE.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def parse(text: str) -> Document:
    """Parse one YAML document; raises YamlSyntaxError (with a line) if it is not well-formed."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            raise YamlSyntaxError(line, f"not valid YAML: {exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(1, f"not valid YAML: {exc}") from None
        if node is None:
            return Document(None, {(): 1})
        walker = _Walker(loader)
        value = walker.walk(node, ())
        return Document(value, walker.lines, tuple(walker.problems))
    finally:
        loader.dispose()


class _Walker:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[KeyPath, int] = {}
        self.problems: Problems = []
        self.active: set[int] = set()  # ids of collection nodes on the current path
        self.count = 0

    def walk(self, node: yaml.Node, path: KeyPath) -> object:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.count += 1
        if self.count > _MAX_NODES:
            raise YamlSyntaxError(node.start_mark.line + 1, "document too large (alias bomb?)")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.active:
            self.problems.append((path, "recursive alias is not allowed"))
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
                return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
                return self._mapping(node, path)
            self.problems.append((path, f"unsupported YAML tag {node.tag}"))
            return None
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> object:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problems.append((path, f"unreadable value: {getattr(exc, 'problem', exc)}"))
            return None
        except (ValueError, OverflowError) as exc:  # e.g. the timestamp 2026-13-45
            self.problems.append((path, f"unreadable value {node.value!r}: {exc}"))
            return None

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[object, object]:
        try:
            self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.YAMLError as exc:
            self.problems.append((path, f"bad merge key: {getattr(exc, 'problem', exc)}"))
            return {}
        out: dict[object, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((path, "mapping keys must be plain strings"))
                continue
            key = self._scalar(key_node, path)
            child = (*path, str(key))
            line = key_node.start_mark.line + 1
            if key in out:
                first = self.lines.get(child, line)
                self.problems.append((child, f"duplicate key (first defined on line {first})"))
                # Record the duplicate's own line so the message points at the second one.
                self.lines[child] = line
                continue
            self.lines[child] = line
            out[key] = self.walk(value_node, child)
        return out

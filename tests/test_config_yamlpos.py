"""YAML -> values plus key-path line numbers (gitward.config.yamlpos)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward.config.yamlpos import Document, YamlSyntaxError, format_path, parse

KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.text(alphabet="abcdefgh xyz-0123456789.:/", max_size=30)
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


def _paths(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, TREES, min_size=1, max_size=5))
def test_dumped_trees_read_back_with_the_line_of_every_key(tree: dict[str, object]) -> None:
    text = yaml.safe_dump(tree, default_flow_style=False, sort_keys=False)
    lines = text.splitlines()
    doc = parse(text)
    assert doc.value == tree
    assert doc.problems == ()
    previous = 0
    for path in _paths(tree)[1:]:
        line = doc.lines[path]
        source = lines[line - 1]
        if isinstance(path[-1], str):
            assert re.match(rf"[ -]*'?{path[-1]}'?:", source), (path, line, text)
        else:
            assert "-" in source or "[" in source, (path, line, text)
        # Paths come in document order, so their lines never go backwards.
        assert line >= previous
        previous = line


def test_lines_point_at_keys_and_list_items() -> None:
    doc = parse("a: 1\nrules:\n  - id: x\n    mode: warn\n  - id: y\n")
    assert doc.value == {"a": 1, "rules": [{"id": "x", "mode": "warn"}, {"id": "y"}]}
    assert doc.lines[("rules", 0, "mode")] == 4
    assert doc.lines[("rules", 1)] == 5
    # A missing key reports the line of its nearest ancestor.
    assert doc.line_of(("rules", 1, "refs")) == 5


def test_duplicate_keys_are_problems_at_the_second_occurrence() -> None:
    doc = parse("mode: enforce\nx: 1\nmode: warn\n")
    assert doc.problems == ((("mode",), "duplicate key (first defined on line 1)"),)
    assert doc.problem("p.yaml", ("mode",), "m") == "p.yaml:3: mode: m"
    # The first value is kept: a second `mode: warn` never silently wins.
    assert doc.value == {"mode": "enforce", "x": 1}


def test_syntax_errors_carry_a_line() -> None:
    with pytest.raises(YamlSyntaxError) as err:
        parse("a: 1\nb: [1, 2\nc: 3\n")
    assert err.value.line >= 2
    with pytest.raises(YamlSyntaxError):
        parse("a: 1\n---\nb: 2\n")  # two documents


def test_recursive_aliases_and_foreign_tags_are_problems() -> None:
    doc = parse("a: &x [1, *x]\nb: !!set {x, y}\n")
    messages = [m for _, m in doc.problems]
    assert "recursive alias is not allowed" in messages
    assert any("unsupported YAML tag" in m for m in messages)
    with pytest.raises(YamlSyntaxError, match="too large"):
        parse(
            "a: &a ["
            + ",".join(["x"] * 50)
            + "]\n"
            + "".join(
                f"{c}: &{c} [" + ",".join([f"*{p}"] * 50) + "]\n"
                for p, c in zip("abcd", "bcde", strict=True)
            )
        )


def test_python_tags_are_refused_not_constructed() -> None:
    doc = parse("a: !!python/object/apply:os.system ['true']\n")
    assert doc.problems


def test_impossible_dates_are_problems_not_crashes() -> None:
    doc = parse("a: 1\nwhen: 2026-13-45\n")
    assert doc.problems == ((("when",), "unreadable value '2026-13-45': month must be in 1..12"),)
    assert doc.problem("f", ("when",), "x") == "f:2: when: x"


def test_merge_keys_and_dates() -> None:
    doc = parse("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\nwhen: 2026-01-31\n")
    assert doc.value == {"base": {"x": 1}, "thing": {"x": 1, "y": 2}, "when": date(2026, 1, 31)}


def test_empty_document_and_path_formatting() -> None:
    assert parse("") == Document(None, {(): 1})
    assert format_path(("rules", 0, "messages", "must_match")) == "rules[0].messages.must_match"
    assert format_path(("pusher_groups", "a.b")) == "pusher_groups['a.b']"
    assert format_path(()) == ""

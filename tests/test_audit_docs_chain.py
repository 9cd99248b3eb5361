"""docs/audit.md shows the chain as gitward writes it: every example line ends with a well-formed
`prev`, consecutive example lines really link, and the filter table lists exactly the filters
`gitward audit tail/search` take."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path

from gitward.audit import link
from gitward.cli import audit_cmd

DOC = (Path(__file__).resolve().parents[1] / "docs" / "audit.md").read_text()
EXAMPLES = re.findall(r"```json\n(.*?)```", DOC, re.DOTALL)


def test_every_example_line_ends_with_its_link() -> None:
    lines = [line for block in EXAMPLES for line in block.splitlines()]
    assert len(lines) >= 5
    for line in lines:
        record = json.loads(line)
        assert list(record)[-1] == "prev" and link.is_link(record["prev"])


def test_consecutive_example_lines_link() -> None:
    for block in EXAMPLES:
        raw = block.encode().splitlines(keepends=True)
        for before, after in pairwise(raw):
            assert json.loads(after)["prev"] == link.digest(before)


def test_the_genesis_value_is_the_documented_one() -> None:
    assert "`sha256:` and 64 zeros" in DOC
    assert link.GENESIS == "sha256:" + "0" * 64


def test_the_filter_table_lists_every_filter() -> None:
    table = DOC.split("| filter | matches |")[1].split("\n\n")[0]
    documented = set(re.findall(r"^\| `--([a-z]+)", table, re.MULTILINE))
    assert documented == {*audit_cmd._FILTERS, "since", "until"}

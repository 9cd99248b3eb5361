"""Patterns from the policy run in RE2 on pusher text: what they match, and what RE2 refuses."""

from __future__ import annotations

import pytest

from gitward.policy import patterns


def test_search_returns_the_leftmost_match() -> None:
    assert patterns.search(r"(?i)\bwip\b", "JIRA-1: Wip and wip") == "Wip"
    assert patterns.search(r"(?i)\bwip\b", "JIRA-1: wiped") is None
    assert patterns.search("é+", "café éé") == "é"  # UTF-8 text, character semantics


def test_fullmatch_anchors_both_ends() -> None:
    assert patterns.fullmatch(r"release/[0-9]+\.[0-9]+", "release/1.2")
    assert not patterns.fullmatch(r"release/[0-9]+\.[0-9]+", "release/1.2-x")


def test_a_ref_name_with_an_undecodable_byte_is_matched_not_crashed_on() -> None:
    # The hook keeps such bytes as lone surrogates; RE2 sees the byte, which `.` does not match.
    name = b"release/\xff".decode("utf-8", "surrogateescape")
    assert not patterns.fullmatch("release/.*", name)
    assert patterns.fullmatch("release/.*", "release/é")
    assert patterns.search("release", name) == "release"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(", "missing ): ("),
        (r"x\Z", r"invalid escape sequence: \Z"),
        (r"(a)\1", r"invalid escape sequence: \1"),
        ("(?=a)", "invalid perl operator: (?="),
        ("(?<=a)b", "invalid perl operator: (?<="),
        ("a{1001}", "invalid repetition size: {1001}"),
        ("\udcff", "the pattern is not valid UTF-8"),
    ],
)
def test_problem_names_what_re2_cannot_run(pattern: str, reason: str) -> None:
    assert patterns.problem(pattern) == reason


def test_linear_time_on_what_backtracks_in_python() -> None:
    assert patterns.search("(a+)+$", "a" * 100_000 + "b") is None
    assert patterns.search("(x+x+)+y", "x" * 100_000) is None

"""Ref globs: the linear-time matcher means what the documented glob syntax says.

The reference is the glob as a Python regex (`*` -> `[^/]*`, `**` -> `.*`, `?` -> `[^/]`), what
gitward matched with before; fine on short names, polynomial time on long ones.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward.policy.globs import ref_matches


def reference(glob: str, ref: str) -> bool:
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        c = glob[i]
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    return re.fullmatch("".join(out), ref) is not None


@settings(max_examples=1000, deadline=None)
@given(st.text("ab/*?-.", max_size=10), st.text("ab/-.", max_size=12))
def test_globs_match_what_the_regex_translation_matched(glob: str, ref: str) -> None:
    assert ref_matches(glob, ref) == reference(glob, ref)


@pytest.mark.parametrize(
    ("glob", "ref", "expected"),
    [
        ("refs/heads/main", "refs/heads/main", True),
        ("refs/heads/main", "refs/heads/main2", False),
        ("refs/heads/release/*", "refs/heads/release/1.2", True),
        ("refs/heads/release/*", "refs/heads/release/1.2/hotfix", False),
        ("refs/heads/release/*", "refs/heads/release/", True),
        ("refs/heads/**", "refs/heads/a/b/c", True),
        ("refs/heads/**", "refs/heads", False),
        ("refs/**/main", "refs/heads/main", True),
        ("refs/**/main", "refs/heads/x/main", True),
        ("refs/tags/v?.*", "refs/tags/v1.2", True),
        ("refs/tags/v?.*", "refs/tags/v/.2", False),  # `?` is not `/`
        ("refs/heads/a*b*c", "refs/heads/abxbc", True),
        ("refs/heads/a*b*c", "refs/heads/ab/bc", False),
        ("refs/heads/***", "refs/heads/x/y", True),
        ("refs/heads/*-*-*-*-*-*x*", "refs/heads/" + "-" * 100_000, False),
        ("refs/heads/*-*-*-*-*-*x*", "refs/heads/" + "-" * 100_000 + "x", True),
        ("refs/**-**-**-**-?x", "refs/" + "-/" * 50_000, False),
    ],
)
def test_globs(glob: str, ref: str, expected: bool) -> None:
    assert ref_matches(glob, ref) is expected

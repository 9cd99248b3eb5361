"""Ref globs as GitHub rulesets and Gitea branch protection spell them.

`*` matches within one path component, `**` matches across components, `?` one character.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def ref_matches(pattern: str, ref: str) -> bool:
    return compile_glob(pattern).match(ref) is not None

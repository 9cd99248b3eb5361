"""Ref globs as GitHub rulesets and Gitea branch protection spell them.

`*` matches within one path component, `**` matches across components, `?` one character (not
`/`). The pusher chooses ref names, so matching takes time linear in the name, whatever the
glob: a backtracking matcher (a glob turned into a Python regex) takes polynomial time on
`refs/heads/*-*-*-*-*` against a long name of dashes. Here the glob runs as a small NFA: the set
of glob positions reached so far, one bit each, advanced once per character of the name.
"""

from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

WILDCARDS = ("**", "*", "?")


class Glob(NamedTuple):
    prefix: str  # the literal text before the first wildcard (all of a glob without one)
    suffix: str  # the literal text after the last wildcard
    # The tokens between them run as an NFA: bit i of a state means "the first i matched".
    size: int
    literal: Mapping[str, int]  # character -> bits of the tokens that are that character
    one: int  # bits of `?` tokens
    star: int  # bits of `*` tokens (stay on any character but `/`)
    stars: int  # bits of `**` tokens (stay on any character)
    alone: str  # "*" or "**" when that is the only token between them (the common globs)

    def matches(self, ref: str) -> bool:
        middle = len(ref) - len(self.suffix)
        if middle < len(self.prefix) or not (
            ref.startswith(self.prefix) and ref.endswith(self.suffix)
        ):
            return False
        if not self.size:  # no wildcard
            return len(ref) == len(self.prefix)
        text = ref[len(self.prefix) : middle]
        if self.alone:
            return self.alone == "**" or "/" not in text
        state = self._closed(1)
        for c in text:
            if c == "/":  # only a literal `/` or a `**` gets past a `/`
                moved, kept = state & self.literal.get(c, 0), state & self.stars
            else:
                moved = state & (self.literal.get(c, 0) | self.one)
                kept = state & (self.stars | self.star)
            state = self._closed(moved << 1 | kept)
            if not state:
                return False
        return bool(state >> self.size & 1)

    def _closed(self, state: int) -> int:
        """`state` plus the positions reached by letting stars match nothing."""
        skip = self.star | self.stars
        while (more := state | (state & skip) << 1) != state:
            state = more
        return state


def _tokens(pattern: str) -> list[str]:
    """`pattern` as wildcards (`**` before `*`) and single literal characters."""
    out, i = [], 0
    while i < len(pattern):
        part = next((w for w in WILDCARDS if pattern.startswith(w, i)), pattern[i])
        out.append(part)
        i += len(part)
    return out


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> Glob:
    tokens = _tokens(pattern)
    wild = [i for i, t in enumerate(tokens) if t in WILDCARDS]
    if not wild:
        return Glob(pattern, "", 0, {}, 0, 0, 0, "")
    middle = tokens[wild[0] : wild[-1] + 1]
    literal: dict[str, int] = {}
    one = star = stars = 0
    for i, part in enumerate(middle):
        if part == "?":
            one |= 1 << i
        elif part == "*":
            star |= 1 << i
        elif part == "**":
            stars |= 1 << i
        else:
            literal[part] = literal.get(part, 0) | 1 << i
    prefix, suffix = "".join(tokens[: wild[0]]), "".join(tokens[wild[-1] + 1 :])
    alone = middle[0] if len(middle) == 1 and middle[0] != "?" else ""
    return Glob(prefix, suffix, len(middle), literal, one, star, stars, alone)


def ref_matches(pattern: str, ref: str) -> bool:
    return compile_glob(pattern).matches(ref)

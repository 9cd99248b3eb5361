"""Path globs as `.gitignore` spells them (gitignore(5), "PATTERN FORMAT"). PURE.

- a glob without a `/` (but a trailing one) matches a name at any depth: `*.pem`, `.env`;
- a `/` at the start or in the middle anchors it at the repository's root: `/Makefile`,
  `deploy/*.yaml`;
- a trailing `/` matches only directories (so every file below them): `secrets/`;
- `*` matches within one path component, `?` one character (never `/`), `[a-z]` / `[!a-z]`
  one character of (not of) a class; `\\` takes the next character literally;
- `**/` at the start matches in every directory, `/**` at the end everything inside, `/**/`
  zero or more directories;
- a glob that matches a directory matches every file below it;
- in a list, the last glob that matches a path decides, and `!glob` re-includes what an earlier
  one matched (unlike `.gitignore`, also below a matched directory).

Paths come from the pusher, so each glob runs as an RE2 regular expression (`patterns`): time
linear in the path, whatever the glob.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from gitward.policy import patterns

_ANY_DIRS = "(?:.*/)?"  # zero or more leading directories


def _escape(ch: str) -> str:
    return "\\" + ch if ch.isascii() and not ch.isalnum() and ch not in " _/" else ch


def _class(glob: str, i: int) -> tuple[str, int]:
    """The RE2 class for the `[...]` starting at `glob[i]`, and the index after it; a `[`
    without its `]` is a literal `[` (as in fnmatch)."""
    j = i + 1
    if j < len(glob) and glob[j] in "!^":
        j += 1
    if j < len(glob) and glob[j] == "]":
        j += 1
    while j < len(glob) and glob[j] != "]":
        j += 1
    if j >= len(glob):
        return "\\[", i + 1
    body = glob[i + 1 : j]
    negate = body[:1] in ("!", "^")
    body = body[1:] if negate else body
    escaped = "".join("\\" + c if c in "\\[]^" else c for c in body)
    return f"[{'^/' if negate else ''}{escaped}]", j + 1


def _component(part: str) -> str:
    """One path component of a glob as RE2."""
    out, i = [], 0
    while i < len(part):
        ch = part[i]
        if ch == "*":
            while i < len(part) and part[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "[":
            text, i = _class(part, i)
            out.append(text)
            continue
        elif ch == "\\" and i + 1 < len(part):
            i += 1
            out.append(_escape(part[i]))
        else:
            out.append(_escape(ch))
        i += 1
    return "".join(out)


def to_regex(glob: str) -> tuple[bool, str]:
    """(negated, RE2 regex that fully matches the paths `glob` selects)."""
    negated = glob.startswith("!")
    body = glob[1:] if negated else glob
    body = body.removeprefix("\\")  # `\!x`, `\#x`: a literal first character
    dir_only = body.endswith("/")
    body = body.rstrip("/")
    anchored = "/" in body
    parts = body.removeprefix("/").split("/")
    out = [] if anchored else [_ANY_DIRS]
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if part == "**":
            out.append(".+" if last else _ANY_DIRS)
        else:
            out.append(_component(part) + ("" if last else "/"))
    # A matching directory matches every file below it.
    return negated, "".join(out) + ("/.+" if dir_only else "(?:/.+)?")


def problem(glob: str) -> str | None:
    """Why `glob` is no glob gitward can match, or None."""
    if not glob or glob in ("!", "/") or glob.startswith("!!"):
        return "an empty glob matches nothing"
    if "\0" in glob or "\n" in glob:
        return "a glob cannot hold NUL or a newline"
    return patterns.problem(to_regex(glob)[1])


@lru_cache(maxsize=128)
def matcher(globs: tuple[str, ...]) -> Callable[[str], bool]:
    """A test of a path against `globs` (the last glob that matches decides). Globs are checked
    by the config loader (`problem`); an empty list matches nothing."""
    compiled = [to_regex(g) for g in globs]
    if not any(negated for negated, _ in compiled):  # the usual list: one regex for all
        whole = "|".join(f"(?:{rx})" for _, rx in compiled)
        return lambda path: bool(whole) and patterns.fullmatch(whole, path)
    order = tuple(reversed(compiled))

    def test(path: str) -> bool:
        for negated, rx in order:
            if patterns.fullmatch(rx, path):
                return not negated
        return False

    return test


def select(globs: Sequence[str] | None, path: str) -> bool:
    """True when `path` is selected: no globs means every path."""
    return True if globs is None else matcher(tuple(globs))(path)

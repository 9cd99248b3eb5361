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

Paths come from the pusher, so each glob runs as an RE2 regular expression: time linear in
the path, whatever the glob. It runs on the path's bytes (RE2's Latin-1 mode), so a name that is
not UTF-8 (`caf\xe9.pem`) matches `*.pem` like any other: in UTF-8 mode no class matches such a
byte, and a forbidden file would pass under a crafted name. `?` matches one UTF-8 character (or
one stray byte); `[...]` classes hold ASCII characters only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import re2

_ANY_DIRS = "(?:.*/)?"  # zero or more leading directories
_ONE_CHARACTER = "[^/\\x80-\\xbf][\\x80-\\xbf]*"  # a UTF-8 lead byte and its continuation


def _escape(ch: str) -> str:
    if not ch.isascii():  # its UTF-8 bytes, one by one (the regex runs on bytes)
        return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogateescape"))
    return "\\" + ch if not ch.isalnum() and ch not in " _/" else ch


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
            out.append(_ONE_CHARACTER)
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


@lru_cache(maxsize=256)
def _compiled(regex: str) -> re2._Regexp[bytes]:
    import re2  # noqa: PLC0415  # on first use, as in `patterns`

    options = re2.Options()
    options.log_errors = False  # RE2 logs to stderr: the pusher's terminal
    options.encoding = re2.Options.Encoding.LATIN1  # type: ignore[attr-defined]  # not in stubs
    options.dot_nl = True  # git allows newlines in file names
    return re2.compile(regex.encode("ascii"), options)


def _fullmatch(regex: str, path: str) -> bool:
    return _compiled(regex).fullmatch(path.encode("utf-8", "surrogateescape")) is not None


def problem(glob: str) -> str | None:
    """Why `glob` is no glob gitward can match, or None."""
    import re2  # noqa: PLC0415

    if not glob or glob in ("!", "/") or glob.startswith("!!"):
        return "an empty glob matches nothing"
    if "\0" in glob or "\n" in glob:
        return "a glob cannot hold NUL or a newline"
    regex = to_regex(glob)[1]
    if "[" in glob and not all(c.isascii() for c in glob):
        return "a glob with a [class] holds ASCII characters only"
    try:
        _compiled(regex)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else b"invalid glob"
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


@lru_cache(maxsize=128)
def matcher(globs: tuple[str, ...]) -> Callable[[str], bool]:
    """A test of a path against `globs` (the last glob that matches decides). Globs are checked
    by the config loader (`problem`); an empty list matches nothing."""
    compiled = [to_regex(g) for g in globs]
    if not any(negated for negated, _ in compiled):  # the usual list: one regex for all
        whole = "|".join(f"(?:{rx})" for _, rx in compiled)
        return lambda path: bool(whole) and _fullmatch(whole, path)
    order = tuple(reversed(compiled))

    def test(path: str) -> bool:
        for negated, rx in order:
            if _fullmatch(rx, path):
                return not negated
        return False

    return test


def select(globs: Sequence[str] | None, path: str) -> bool:
    """True when `path` is selected: no globs means every path."""
    return True if globs is None else _selects(tuple(globs), path)


@lru_cache(maxsize=1 << 16)
def _selects(globs: tuple[str, ...], path: str) -> bool:
    # Cached: the facts, the scope and each check ask about the same (globs, path) pairs.
    return matcher(globs)(path)

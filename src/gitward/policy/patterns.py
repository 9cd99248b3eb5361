"""Regular expressions on text the pusher controls (messages, ref names), run by RE2.

RE2 takes time linear in the text whatever the pattern, where Python's backtracking `re` can
take cubic or exponential time: one crafted message (or an honest one meeting a careless
pattern) would burn the hook's whole time budget and be refused with a timeout instead of a
reason. The price is RE2 syntax (https://github.com/google/re2/wiki/Syntax): no backreferences
or lookaround, `\\z` instead of `\\Z`; the config loader refuses what RE2 cannot run.

`re2` is imported on first use (~3 ms): a push under a policy without patterns never pays it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import re2

SYNTAX = "https://github.com/google/re2/wiki/Syntax"


@lru_cache(maxsize=256)
def compiled(pattern: str) -> re2._Regexp[str]:
    """`pattern` compiled by RE2; raises `re2.error` when RE2 cannot run it (config checks
    every pattern of a policy with `problem` first)."""
    import re2  # noqa: PLC0415  # on first use, see the module docstring

    options = re2.Options()
    # RE2 logs parse errors to stderr: in the hook, that is the pusher's terminal.
    options.log_errors = False
    return re2.compile(pattern, options)


def problem(pattern: str) -> str | None:
    """Why RE2 cannot run `pattern` (RE2's own words), or None when it can."""
    import re2  # noqa: PLC0415  # on first use, see the module docstring

    try:
        compiled(pattern)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else b"invalid pattern"
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for RE2 to compile
        return "the pattern is not valid UTF-8"
    return None


def search(pattern: str, text: str) -> str | None:
    """The leftmost match of `pattern` in `text`, or None."""
    found = compiled(pattern).search(_utf8(text))
    return None if found is None else found.group(0).decode("utf-8", "surrogateescape")


def fullmatch(pattern: str, text: str) -> bool:
    return compiled(pattern).fullmatch(_utf8(text)) is not None


def _utf8(text: str) -> bytes:
    # RE2 runs on UTF-8. Ref names keep undecodable bytes as lone surrogates
    # ("surrogateescape"): RE2 gets those bytes back, and no `.` or class matches them.
    return text.encode("utf-8", "surrogateescape")

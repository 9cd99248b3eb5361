"""Make text from a push safe to print on the pusher's terminal. PURE.

Everything a pusher controls (commit messages, names, e-mails, ref names, push options, and
any policy text that may quote them) reaches the pusher's terminal through `git`'s sideband as
raw bytes. A commit message carrying `ESC ] 52 ;` (clipboard write), `ESC [ 2 J` (clear screen)
or U+202E (right-to-left override, "Trojan Source", CVE-2021-42574) would act on whoever runs
the push, or make the report lie about which commit is wrong. `clean` therefore guarantees:

- no C0/C1 control character (U+0000-U+001F, U+007F-U+009F), so no escape sequence can start;
- no format character (Unicode category Cf: bidi embeddings, overrides and isolates
  U+202A-U+202E / U+2066-U+2069, marks U+200E/U+200F/U+061C, zero-width characters, tags);
- no line or paragraph separator and no lone surrogate (undecodable bytes);
- at most `max_len` characters, with an ellipsis when cut.

Well-formed ANSI CSI and OSC/DCS sequences are dropped whole (they are formatting, not
content); tab/newline/CR and separators become one space (a field stays on one line); every
other forbidden character is shown as a visible escape such as `\\u202e`, so the reader can
see that something was there.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

# CSI: ESC [ params intermediates final (ECMA-48 5.4), 7-bit and 8-bit (U+009B) forms.
# String commands (OSC, DCS, SOS, PM, APC) up to their terminator (BEL or ST), bounded so that
# an unterminated one does not swallow the rest of the text: its introducer is escaped instead.
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]{0,64}[ -/]{0,8}[@-~]"
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,512}(?:\x07|\x1b\\|\x9c)"
)
_FLATTEN = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Categories never printed raw: controls, format characters, surrogates, line/para separators.
_FORBIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_forbidden(ch: str) -> bool:
    """True for a character `clean` never lets through."""
    return unicodedata.category(ch) in _FORBIDDEN


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clean(text: str, max_len: int = 200) -> str:
    """`text` made printable on one terminal line, at most `max_len` characters (>= 1)."""
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    # Work on a bounded prefix: the result cannot need more input than this (every kept input
    # character yields at least one output character), and huge messages stay cheap.
    limit = max_len * 8 + 1024
    cut = len(text) > limit
    text = _SEQUENCES.sub("", text[:limit])
    out: list[str] = []
    size = 0
    for ch in text:
        if ch in _FLATTEN:
            piece = " "
        elif unicodedata.category(ch) in _FORBIDDEN:
            piece = _escape(ch)
        else:
            piece = ch
        out.append(piece)
        size += len(piece)
        if size > max_len:
            break
    result = "".join(out)
    if len(result) > max_len or (cut and not result.endswith(ELLIPSIS)):
        result = result[: max_len - 1] + ELLIPSIS
    return result

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
- at most `max_len` characters, with an ellipsis when cut (never inside an escape).

Nothing is deleted: tab, newline and CR each become one space (a field stays on one line), and
every other forbidden character is shown as a visible escape such as `\\x1b`, `\\x9b` or
`\\u202e`. An escape sequence cannot act once its introducer is escaped, and the text still
says what was there: a ref `refs/heads/c1<U+009B>31mRED` is shown as `refs/heads/c1\\x9b31mRED`,
not as the name of a ref that does not exist. A byte that was not UTF-8 (kept by Python as a
lone surrogate U+DC80-U+DCFF, "surrogateescape") is shown as that byte, e.g. `\\xff`.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"

_FLATTEN = frozenset("\t\n\r")
# Categories never printed raw: controls, format characters, surrogates, line/para separators.
_FORBIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clean(text: str, max_len: int = 200) -> str:
    """`text` made printable on one terminal line, at most `max_len` characters (>= 1)."""
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    pieces: list[str] = []
    size = 0
    # Every input character yields at least one output character, so this reads at most
    # max_len + 1 characters however long `text` is.
    for ch in text:
        if ch in _FLATTEN:
            piece = " "
        elif unicodedata.category(ch) in _FORBIDDEN:
            piece = _escape(ch)
        else:
            piece = ch
        pieces.append(piece)
        size += len(piece)
        if size > max_len:
            # Cut whole pieces (a half escape would misstate what was there), then mark it.
            while size > max_len - len(ELLIPSIS):
                size -= len(pieces.pop())
            pieces.append(ELLIPSIS)
            break
    return "".join(pieces)

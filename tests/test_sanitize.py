"""sanitize.clean: nothing from a push may act on the pusher's terminal or overflow a line."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward.report.sanitize import ELLIPSIS, clean

DANGEROUS = "\x1b\x07\x08\x00\x7f\x9b\x9d\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
DANGEROUS += "\u200e\u200f\u061c\u200b\ufeff\u2028\u2029\U000e0041\ud800"


FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def assert_safe(text: str, max_len: int) -> None:
    assert len(text) <= max_len
    for ch in text:
        assert unicodedata.category(ch) not in FORBIDDEN_CATEGORIES, repr(ch)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain subject", "plain subject"),
        # Escape sequences are defused by escaping their introducer, never deleted.
        ("\x1b[31mred\x1b[0m text", "\\x1b[31mred\\x1b[0m text"),
        ("\x1b[2J\x1b[Hclear", "\\x1b[2J\\x1b[Hclear"),
        ("\x1b]52;c;ZXZpbA==\x07copy", "\\x1b]52;c;ZXZpbA==\\x07copy"),  # OSC 52 clipboard
        ("\x1b]8;;http://e\x1b\\link", "\\x1b]8;;http://e\\x1b\\link"),  # OSC 8 hyperlink
        ("\x9b31mc1", "\\x9b31mc1"),  # 8-bit CSI
        ("a\x1bb", "a\\x1bb"),
        ("line1\nline2\r\tx", "line1 line2  x"),
        ("bell\x07", "bell\\x07"),
        ("del\x7f", "del\\x7f"),
        ("v\x0bf\x0cn\x85", "v\\x0bf\\x0cn\\x85"),  # only tab, LF and CR become spaces
        ("admin\u202e\u2066txt.exe", "admin\\u202e\\u2066txt.exe"),  # Trojan Source
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("para\u2029sep\u2028", "para\\u2029sep\\u2028"),
        ("refs/heads/raw\udcff\udc80", "refs/heads/raw\\xff\\x80"),  # undecodable bytes
        ("lone\ud800", "lone\\ud800"),
        ("Zoë Łukasz 李", "Zoë Łukasz 李"),  # ordinary non-ASCII text is kept
    ],
)
def test_clean_examples(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_a_ref_name_with_a_c1_csi_keeps_every_character() -> None:
    # Deleting "\x9b31m" as a colour sequence would name refs/heads/c1RED, which does not exist.
    assert clean("refs/heads/c1\x9b31mRED") == r"refs/heads/c1\x9b31mRED"


def test_clean_bounds_length_with_an_ellipsis() -> None:
    out = clean("x" * 500, 40)
    assert len(out) == 40
    assert out.endswith(ELLIPSIS)
    assert clean("short", 40) == "short"


def test_escapes_count_against_the_bound_and_are_never_cut_in_half() -> None:
    out = clean("\u202e" * 100, 30)
    assert out == "\\u202e" * 4 + ELLIPSIS
    assert clean("ab\x1b", 5) == "ab" + ELLIPSIS  # not "ab\\x1" + ELLIPSIS


def test_huge_input_is_cut_and_marked() -> None:
    out = clean("\x1b[0m" * 100_000 + "tail", 50)
    assert out.endswith(ELLIPSIS)
    assert len(out) <= 50
    assert out.startswith("\\x1b[0m\\x1b[0m")


def test_max_len_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_len"):
        clean("x", 0)


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(st.characters(), st.sampled_from(list(DANGEROUS + "[]0123;m\\"))),
        max_size=300,
    ),
    st.integers(min_value=1, max_value=120),
)
def test_output_is_always_printable_and_bounded(raw: str, max_len: int) -> None:
    assert_safe(clean(raw, max_len), max_len)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), max_size=100))
def test_ordinary_text_is_unchanged(raw: str) -> None:
    assert clean(raw, 1000) == raw


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(st.characters(), st.sampled_from(list(DANGEROUS + "[]0123;m\\"))),
        max_size=100,
    )
)
def test_nothing_is_deleted(raw: str) -> None:
    # Every printable character survives, in order; each forbidden one leaves a visible mark.
    out = iter(clean(raw, 10_000))
    for ch in raw:
        assert mark(ch) in out, (ch, raw)


def mark(ch: str) -> str:
    """What `clean` leaves of `ch` (at least the first character of it)."""
    if ch in "\t\n\r":
        return " "
    return "\\" if unicodedata.category(ch) in FORBIDDEN_CATEGORIES else ch

"""A commit message as git shows it: where it starts, its subject (`%s`) and body (`%b`).

PURE, stdlib only (the model's `Commit.subject` uses it too). A port of git's pretty.c
(`skip_blank_lines`, `format_subject`); tests compare it with the real `git log`. git works on
bytes: a "line" ends after its "\n" (or at the end of the message), and git's isspace() is ASCII
space, tab, LF and CR only (not \v or \f, unlike Python's).

A message that starts with blank lines is shown by git from its first non-blank line: the rules
judge that, so a leading newline cannot hide a long subject or dodge a `^JIRA-` pattern.
"""

from __future__ import annotations

SPACE = " \t\n\r"  # git's isspace() (sane_ctype in git's ctype.c)


def next_line(text: str, pos: int) -> int:
    """Where the line starting at `pos` ends: after its "\\n", or at the end of `text`."""
    end = text.find("\n", pos)
    return len(text) if end < 0 else end + 1


def is_blank(line: str) -> bool:
    """True for an empty or whitespace-only line (git's spaces only)."""
    return not line.strip(SPACE)


def start(message: str) -> int:
    """Offset of the first non-blank line: git skips the blank lines before it."""
    pos = 0
    while pos < len(message):
        end = next_line(message, pos)
        if not is_blank(message[pos:end]):
            break
        pos = end
    return pos


def shown(message: str) -> str:
    """The message from its first non-blank line on, otherwise exactly as written (trailing
    spaces and CRs kept, so patterns can still refuse them)."""
    return message[start(message) :]


def _subject_lines(message: str) -> tuple[list[str], int]:
    """The lines of the first paragraph (trailing spaces removed) and the offset after the
    blank line that ends it."""
    lines = []
    pos = start(message)
    while pos < len(message):
        end = next_line(message, pos)
        line = message[pos:end].rstrip(SPACE)
        pos = end
        if not line:
            break
        lines.append(line)
    return lines, pos


def subject(message: str) -> str:
    """git's `%s`: the first paragraph, its lines joined with one space."""
    return " ".join(_subject_lines(message)[0])


def body(message: str) -> str:
    """git's `%b`: everything after the first paragraph and the blank lines that follow it."""
    after = _subject_lines(message)[1]
    return message[after + start(message[after:]) :]


def blank_line_after_subject(message: str) -> bool:
    """True when the first non-blank line is the last line or a blank line follows it."""
    first = next_line(message, start(message))
    return is_blank(message[first : next_line(message, first)])

"""A commit message's trailers as git reads them (`git log --format=%(trailers)`).

PURE. A port of git's trailer.c (`trailer_info_get`, `find_trailer_start`, `find_separator`,
`unfold_value`) and commit.c (`ignore_non_trailer`), for a commit: so no `---` divider (git
gives `%(trailers)` the whole message), `core.commentChar` '#' and no `trailer.*`
configuration. Tests compare it with the real `git log`. In short, the trailer block is the
message's last paragraph, never its subject paragraph, when every line of it is a trailer (or a
line git writes: `Signed-off-by: `, `(cherry picked from commit `), or when a quarter of it is
and one of those git-written lines is among them. A trailer is `Key: value` or `Key : value`
(the key: ASCII letters, digits and `-`); a line starting with whitespace continues it.
"""

from typing import NamedTuple

from gitward.policy.commitmsg import SPACE, is_blank, next_line, start

COMMENT = "#"
GIT_WRITTEN = ("Signed-off-by: ", "(cherry picked from commit ")
# `git commit -v` cuts the message at this line (wt-status.c); so does trailer parsing.
CUT_LINE = "# ------------------------ >8 ------------------------\n"
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")


class Trailer(NamedTuple):
    key: str  # as written, case kept (git compares keys case-insensitively)
    value: str  # trimmed; continuation lines kept with their "\n" and indentation

    @property
    def unfolded(self) -> str:
        """The value on one line: each line break and the whitespace after it become one
        space (`%(trailers:unfold)`)."""
        value, out, i = self.value, [], 0
        while (newline := value.find("\n", i)) >= 0:
            out += [value[i:newline], " "]
            i = newline + 1
            while i < len(value) and value[i] in SPACE:
                i += 1
        out.append(value[i:])
        return "".join(out).strip(SPACE)


def trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers of `message`, in order (non-trailer lines of the block left out)."""
    text = message[start(message) :]
    end = len(text) - _ignored_tail(text)
    entries = _entries(text[_block_start(text, end) : end])
    out = []
    for entry in entries:
        sep = separator(entry)
        if sep >= 1:
            out.append(Trailer(entry[:sep].strip(SPACE), entry[sep + 1 :].strip(SPACE)))
    return tuple(out)


def values(message: str, key: str) -> tuple[str, ...]:
    """Unfolded values of the trailers named `key` (ASCII case-insensitive, as git matches
    `%(trailers:key=...)`)."""
    wanted = key.lower()
    return tuple(t.unfolded for t in trailers(message) if t.key.lower() == wanted)


def separator(line: str) -> int:
    """Index of the `:` of `Key: ...` or `Key : ...`; -1 when the line is no trailer."""
    spaced = False
    for i, c in enumerate(line):
        if c == ":":
            return i
        if not spaced and c in _KEY_CHARS:
            continue
        if i and c in " \t":
            spaced = True
            continue
        break
    return -1


def _entries(block: str) -> list[str]:
    """The block's lines, each continuation line (leading whitespace) joined to the trailer
    above it."""
    entries: list[list[str]] = []
    open_trailer = False
    for line in _lines(block):
        if open_trailer and line[0] in SPACE:
            entries[-1].append(line)
            continue
        entries.append([line])
        open_trailer = separator(line) >= 1
    return ["".join(parts) for parts in entries]


def _lines(text: str) -> list[str]:
    """`text` cut after each "\\n" (only there: `str.splitlines` also cuts at CR, FF...)."""
    pieces = text.split("\n")
    return [p + "\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def _block_start(text: str, end: int) -> int:
    """Where the trailer block of `text[:end]` starts; `end` when there is none."""
    title_end = 0  # the subject paragraph is never a trailer block
    while title_end < end and (
        text[title_end] == COMMENT or not is_blank(text[title_end : next_line(text, title_end)])
    ):
        title_end = next_line(text, title_end)
    only_blank, git_written = True, False
    trailer_lines = other_lines = maybe_continued = 0
    line = _last_line(text, end)
    while line >= title_end:
        bol, line = line, _last_line(text, line)
        if text[bol] == COMMENT:
            other_lines += maybe_continued
            maybe_continued = 0
        elif is_blank(text[bol : next_line(text, bol)]):
            if only_blank:
                continue
            other_lines += maybe_continued
            if (git_written and trailer_lines * 3 >= other_lines) or (
                trailer_lines and not other_lines
            ):
                return next_line(text, bol)
            return end
        else:
            only_blank = False
            if text.startswith(GIT_WRITTEN, bol):
                trailer_lines += 1
                maybe_continued = 0
                git_written = True
            elif text[bol] not in SPACE and separator(text[bol : next_line(text, bol)]) >= 1:
                trailer_lines += 1
                maybe_continued = 0
            elif text[bol] in SPACE:
                maybe_continued += 1
            else:
                other_lines += 1 + maybe_continued
                maybe_continued = 0
    return end


def _last_line(text: str, end: int) -> int:
    """Start of the last line of `text[:end]` (a final "\\n" belongs to it); -1 if empty."""
    if end == 0:
        return -1
    return text.rfind("\n", 0, end - 1) + 1


def _ignored_tail(text: str) -> int:
    """How many characters at the end git leaves out of trailer parsing: everything from the
    cut line on, then a final run of comment and empty lines, and of `Conflicts:` blocks
    (`Conflicts:` and tab-indented paths, which old `git merge` wrote into messages)."""
    cutoff = len(text)
    if text.startswith(CUT_LINE):
        cutoff = 0
    elif (found := text.find("\n" + CUT_LINE)) >= 0:
        cutoff = found + 1
    run_start = 0  # 0: no run (git's own quirk: a run starting at 0 restarts on its next line)
    conflicts = False
    bol = 0
    while bol < cutoff:
        if text[bol] in (COMMENT, "\n"):
            run_start = run_start or bol
        elif text.startswith("Conflicts:\n", bol):
            conflicts = True
            run_start = run_start or bol
        elif conflicts and text[bol] == "\t":
            pass
        elif run_start:
            run_start, conflicts = 0, False
        bol = next_line(text, bol)
    return len(text) - (run_start or cutoff)

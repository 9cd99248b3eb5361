"""Parse raw commit and tag objects into their fields, payload and signature.

The payload/signature split is git's, byte for byte (see `gitsig`). Names and messages are
decoded as UTF-8 with replacement characters (never raises). A message is the text before its
first NUL byte: git shows no more (`git log`, `%(trailers)`, `%(contents)` stop there), so
gitward must not judge text (a sign-off, a ticket) that nobody reading the history can see.
"""

from typing import NamedTuple

from gitward.git.signed import SIGNATURE_HEADERS, split_head, split_signed_commit, split_signed_tag
from gitward.model import Person

HEX_LENGTH = {"sha1": 40, "sha256": 64}
_TAG_HEADERS = frozenset({b"object", b"type", b"tag", b"tagger"})


class ParsedCommit(NamedTuple):
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    encoding: str | None  # the `encoding` header; the text is decoded as UTF-8 regardless
    message: str
    payload: bytes  # what git verifies the signature against
    signature: bytes | None
    signature_count: int  # signature headers of the repository's algorithm


class ParsedTag(NamedTuple):
    target: str
    target_type: str
    name: str
    tagger: Person | None
    message: str
    payload: bytes
    signature: bytes | None


def _header_lines(raw: bytes) -> tuple[list[bytes], bytes]:
    """The header lines (without newlines) and the message after the empty line."""
    head, rest = split_head(raw)
    lines = head.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines, rest[1:]


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _message(data: bytes) -> str:
    """The message as git displays it: up to (without) the first NUL byte."""
    return _text(data.split(b"\0", 1)[0])


def _oid(value: bytes, object_format: str, what: str) -> str:
    text = value.decode("ascii", "replace")
    if len(text) != HEX_LENGTH[object_format] or text.strip("0123456789abcdef"):
        raise ValueError(f"malformed {what} id")
    return text


def parse_person(value: bytes) -> Person:
    """`Name <email> timestamp tz` the way git's `split_ident_line()` reads it: the e-mail is
    between the first `<` and the first `>` after it. Malformed parts become empty/zero."""
    lt = value.find(b"<")
    gt = value.find(b">", lt + 1) if lt >= 0 else -1
    if lt < 0 or gt < 0:
        return Person(_text(value.strip()), "")
    name, email = value[:lt].rstrip(), value[lt + 1 : gt]
    date = value[value.rfind(b">") + 1 :].split()
    stamp = int(date[0]) if date and date[0].isdigit() else 0
    tz = date[1] if len(date) > 1 and date[1][:1] in b"+-" and date[1][1:].isdigit() else b""
    return Person(_text(name), _text(email), stamp, _text(tz) or "+0000")


def parse_commit(oid: str, raw: bytes, object_format: str) -> ParsedCommit:
    """Parse a commit object. Raises ValueError (only) when it is not a well-formed commit:
    no `tree` first, a bad id, or a missing or repeated `author`/`committer` (two committer
    lines could show one identity and be judged by another: refuse). Header values are read
    up to the end of their line, as git reads them (continuation lines are not part of them).
    """
    if object_format not in SIGNATURE_HEADERS:
        raise ValueError(f"unknown object format {object_format!r}")
    lines, message = _header_lines(raw)
    if not lines or not lines[0].startswith(b"tree "):
        raise ValueError(f"commit {oid} does not start with a tree")
    tree = _oid(lines[0][5:], object_format, "tree")
    parents: list[str] = []
    i = 1
    # like git's parse_commit_buffer: only parents right after the tree count
    while i < len(lines) and lines[i].startswith(b"parent "):
        parents.append(_oid(lines[i][7:], object_format, "parent"))
        i += 1
    author = committer = encoding = None
    for line in lines[i:]:
        if line.startswith(b"author "):
            if author is not None:
                raise ValueError(f"commit {oid} has more than one author line")
            author = line[7:]
        elif line.startswith(b"committer "):
            if committer is not None:
                raise ValueError(f"commit {oid} has more than one committer line")
            committer = line[10:]
        elif line.startswith(b"encoding ") and encoding is None:
            encoding = _text(line[9:])
    if author is None or committer is None:
        raise ValueError(f"commit {oid} lacks an author or a committer")
    payload, signature, count = split_signed_commit(raw, object_format)
    return ParsedCommit(
        tree=tree,
        parents=tuple(parents),
        author=parse_person(author),
        committer=parse_person(committer),
        encoding=encoding,
        message=_message(message),
        payload=payload,
        signature=signature if count else None,
        signature_count=count,
    )


def parse_tag(oid: str, raw: bytes, object_format: str) -> ParsedTag:
    """Parse an annotated tag object. ValueError when `object`/`type` are missing or bad, or
    when one of `object`, `type`, `tag`, `tagger` appears twice."""
    if object_format not in SIGNATURE_HEADERS:
        raise ValueError(f"unknown object format {object_format!r}")
    payload, signature = split_signed_tag(raw)
    lines, message = _header_lines(payload)
    values: dict[bytes, bytes] = {}
    for line in lines:
        key, _, value = line.partition(b" ")
        if key in values and key in _TAG_HEADERS:
            # Two taggers could show one identity and be judged by another: refuse.
            raise ValueError(f"tag {oid} has more than one {key.decode()} line")
        values.setdefault(key, value)
    if not lines or not lines[0].startswith(b"object ") or b"type" not in values:
        raise ValueError(f"tag {oid} lacks an object or a type")
    tagger = values.get(b"tagger")
    return ParsedTag(
        target=_oid(values[b"object"], object_format, "tagged object"),
        target_type=_text(values[b"type"]),
        name=_text(values.get(b"tag", b"")),
        tagger=None if tagger is None else parse_person(tagger),
        message=_message(message),
        payload=payload,
        signature=signature or None,
    )

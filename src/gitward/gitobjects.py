"""Parse raw commit and tag objects, and split them into git's signed payload and signature.

The split follows git byte for byte, because a signature is only meaningful over exactly the
bytes git signs:
- commits: `commit.c` `parse_buffer_signed_by_header()`. The signature is the value of the
  `gpgsig` header (SHA-1 repositories) or `gpgsig-sha256` (SHA-256 repositories), continuation
  lines included; *every* header line starting with `gpgsig` (and its continuation lines) is
  left out of the payload. Several headers of the repository's algorithm are concatenated, so
  the verifier sees several signatures and refuses (exactly one is allowed).
- tags: `gpg-interface.c` `parse_signature()`: the signature starts at the *last* line that
  begins an armored signature; the payload is what precedes it, minus `gpgsig*` header blocks
  (`commit.c` `remove_signature()`).
Names and messages are decoded as UTF-8 with replacement characters (never raises).
"""

from __future__ import annotations

from typing import NamedTuple

from gitward.model import Person

SIGNATURE_HEADERS = {"sha1": b"gpgsig", "sha256": b"gpgsig-sha256"}
# gpg-interface.c, `gpg_format[].sigs`: the lines that begin a signature in a tag.
SIGNATURE_STARTS = (
    b"-----BEGIN PGP SIGNATURE-----",
    b"-----BEGIN PGP MESSAGE-----",
    b"-----BEGIN SIGNED MESSAGE-----",
    b"-----BEGIN SSH SIGNATURE-----",
)
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


def _lines(raw: bytes) -> list[bytes]:
    """Lines with their `\n`, as git walks a buffer (the last one may lack it). Only `\n`
    ends a line for git (bytes.splitlines would also split on `\r`)."""
    parts = raw.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    return [*out, parts[-1]] if parts[-1] else out


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    """(header lines with their newlines, the rest from the empty line that ends them)."""
    if raw.startswith(b"\n"):
        return b"", raw
    end = raw.find(b"\n\n")
    return (raw, b"") if end < 0 else (raw[: end + 1], raw[end + 1 :])


def split_signed_commit(raw: bytes, object_format: str) -> tuple[bytes, bytes, int]:
    """`(payload, signature, count)` as `parse_buffer_signed_by_header()` computes them."""
    header = SIGNATURE_HEADERS[object_format] + b" "
    head, rest = _split_head(raw)
    first = head.find(b"\ngpgsig")
    if first < 0 and not head.startswith(b"gpgsig"):
        return raw, b"", 0  # no header line starts with "gpgsig"
    if (
        first >= 0
        and not head.startswith(b"gpgsig")
        and head.startswith(header, first + 1)
        and head.find(b"\ngpgsig", first + 1) < 0
    ):
        # The usual signed commit: one signature block, no other gpgsig* line. The same
        # result as the general walk below (a property test compares the two), faster.
        start = first + 1
        end = head.find(b"\n", start)
        while end >= 0 and head.startswith(b" ", end + 1):
            end = head.find(b"\n", end + 1)
        end = len(head) if end < 0 else end + 1
        signature = head[start + len(header) : end].replace(b"\n ", b"\n")
        return head[:start] + head[end:] + rest, signature, 1
    return _split_signed_commit_walk(head, rest, header)


def _split_signed_commit_walk(head: bytes, rest: bytes, header: bytes) -> tuple[bytes, bytes, int]:
    """git's loop, line by line, for any header (several or foreign signature headers)."""
    payload: list[bytes] = []
    signature: list[bytes] = []
    count = 0
    in_signature = other_signature = False
    for line in _lines(head):
        sig = None
        if in_signature and line.startswith(b" "):
            sig = line[1:]
        elif line.startswith(header):
            sig, count, other_signature = line[len(header) :], count + 1, False
        elif line.startswith(b"gpgsig"):
            other_signature = True
        elif other_signature and not line.startswith(b" "):
            other_signature = False
        if sig is not None:
            signature.append(sig)
            in_signature = True
            continue
        if not other_signature:
            payload.append(line)
        in_signature = False
    # git copies everything from the empty line on unchanged ("dump the whole remainder").
    payload.append(rest)
    return b"".join(payload), b"".join(signature), count


def split_signed_tag(raw: bytes) -> tuple[bytes, bytes]:
    """`(payload, signature)` as `parse_signature()` computes them; signature b"" if none."""
    match, pos = len(raw), 0
    for line in _lines(raw):
        if line.startswith(SIGNATURE_STARTS):
            match = pos
        pos += len(line)
    if match == len(raw):
        return raw, b""
    return _remove_signature(raw[:match]), raw[match:]


def _remove_signature(buf: bytes) -> bytes:
    """`commit.c` `remove_signature()`: drop up to two `gpgsig`/`gpgsig-sha256` blocks.
    (A block header directly after another block restarts it, as in git.)"""
    blocks: list[list[int]] = []
    pos, in_signature = 0, False
    for line in _lines(buf):
        end = pos + len(line)
        if in_signature and line.startswith(b" "):
            blocks[-1][1] = end
        elif line.startswith(b"gpgsig"):
            if line.startswith((b"gpgsig ", b"gpgsig-sha256 ")):
                if in_signature:
                    blocks[-1] = [pos, end]
                else:
                    blocks.append([pos, end])
                in_signature = True
        else:
            in_signature = False
            if line.startswith(b"\n"):
                break
        if len(blocks) > 2:
            # git keeps two slots and writes past them: no defined payload; refuse.
            raise ValueError("more than two signature blocks in a tag header")
        pos = end
    for start, stop in reversed(blocks):
        buf = buf[:start] + buf[stop:]
    return buf


def _header_lines(raw: bytes) -> tuple[list[bytes], bytes]:
    """The header lines (without newlines) and the message after the empty line."""
    head, rest = _split_head(raw)
    lines = head.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines, rest[1:]


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


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
        message=_text(message),
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
        message=_text(message),
        payload=payload,
        signature=signature or None,
    )

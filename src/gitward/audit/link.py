"""What ties each audit line to the one before it, and how a writer finds that line.

Every line ends with `"prev":"sha256:<64 hex digits>"`, the SHA-256 of the previous line's exact
bytes, its newline included. That line carries its own `prev`, so a line's hash covers the whole
log before it: deleting, editing, inserting or moving a line breaks the link of the line after
the change (`chain.check` finds it). The first line of a new log carries `GENESIS`; the first
line of a rotated log's successor carries the hash of the old file's last line (`rotate`).

On the hook's path: imports nothing beyond `hashlib` (which the signature adapters load anyway)
and reads the last line only, backwards from the end, so an append costs the same for a log of
ten lines as for one of ten million.
"""

from __future__ import annotations

import hashlib
import os

FIELD = "prev"
ALGORITHM = "sha256"
GENESIS = f"{ALGORITHM}:" + "0" * 64
CHUNK = 8192  # bytes read at a time, backwards from the end, to find the last line


def digest(line: bytes) -> str:
    """The `prev` value of the line written after `line` (its exact bytes, newline included)."""
    return f"{ALGORITHM}:{hashlib.sha256(line).hexdigest()}"


def is_link(value: object) -> bool:
    """Whether `value` has the form of a `prev` value (`sha256:` and 64 lowercase hex digits)."""
    if not isinstance(value, str) or not value.startswith(f"{ALGORITHM}:") or len(value) != 71:
        return False
    return all(c in "0123456789abcdef" for c in value[7:])


def seal(encoded: bytes, prev: str) -> bytes:
    """`encoded` (one JSON object and its newline, as `log.encode` makes it, without a `prev`)
    with `"prev":prev` added as its last field."""
    body = encoded.rstrip(b"\n")
    comma = b"" if body == b"{}" else b","
    return body[:-1] + comma + b'"' + FIELD.encode() + b'":"' + prev.encode("ascii") + b'"}\n'


def last_line(fd: int, size: int) -> bytes:
    """The last line of the first `size` bytes of the file open for reading as `fd`, newline
    included; b"" for an empty file. Reads backwards in `CHUNK`s: the last line and at most one
    chunk more, whatever the file's size. A last line without its newline (a write cut short by
    a crash) is returned as it is."""
    pieces: list[bytes] = []
    end = size
    while end > 0:
        start = max(0, end - CHUNK)
        chunk = os.pread(fd, end - start, start)
        if len(chunk) != end - start:
            raise OSError("the audit log shrank while its last line was read")
        # The file's final byte is the last line's own newline, not the end of the one before.
        cut = chunk.rfind(b"\n", 0, len(chunk) - 1 if end == size else len(chunk))
        if cut >= 0:
            pieces.append(chunk[cut + 1 :])
            break
        pieces.append(chunk)
        end = start
    return b"".join(reversed(pieces))


def next_link(fd: int, size: int) -> tuple[bytes, str]:
    """(what to write before the next line, its `prev`) for a log of `size` bytes open as `fd`.

    A log that does not end in a newline (a crash cut a write short) first gets one: the cut
    line stays a line of its own, which `chain.check` reports, and the next line links to it."""
    last = last_line(fd, size)
    if not last:
        return b"", GENESIS
    fix = b"" if last.endswith(b"\n") else b"\n"
    return fix, digest(last + fix)

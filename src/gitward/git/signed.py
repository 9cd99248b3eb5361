"""git's rules for splitting a signed commit or tag into the signed payload and the signature.

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
"""

from __future__ import annotations

SIGNATURE_HEADERS = {"sha1": b"gpgsig", "sha256": b"gpgsig-sha256"}
# gpg-interface.c, `gpg_format[].sigs`: the lines that begin a signature in a tag.
SIGNATURE_STARTS = (
    b"-----BEGIN PGP SIGNATURE-----",
    b"-----BEGIN PGP MESSAGE-----",
    b"-----BEGIN SIGNED MESSAGE-----",
    b"-----BEGIN SSH SIGNATURE-----",
)


def _lines(raw: bytes) -> list[bytes]:
    """Lines with their `\n`, as git walks a buffer (the last one may lack it). Only `\n`
    ends a line for git (bytes.splitlines would also split on `\r`)."""
    parts = raw.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    return [*out, parts[-1]] if parts[-1] else out


def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """(header lines with their newlines, the rest from the empty line that ends them)."""
    if raw.startswith(b"\n"):
        return b"", raw
    end = raw.find(b"\n\n")
    return (raw, b"") if end < 0 else (raw[: end + 1], raw[end + 1 :])


def split_signed_commit(raw: bytes, object_format: str) -> tuple[bytes, bytes, int]:
    """`(payload, signature, count)` as `parse_buffer_signed_by_header()` computes them."""
    header = SIGNATURE_HEADERS[object_format] + b" "
    head, rest = split_head(raw)
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

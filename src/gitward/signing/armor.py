"""ASCII armor (RFC 9580 section 6.2; OpenSSH PROTOCOL.sshsig) decoding, strict and bounded.

We decode armor ourselves instead of letting pysequoia do it because pysequoia silently ignores
a second armored block after the first and a wrong CRC24; both must make a signature not good.
PURE: no I/O. Every malformed input raises `ValueError` with a short plain message.
"""

import binascii
import re
from typing import NamedTuple

# A detached signature is a few hundred bytes; a cap keeps hostile input cheap to reject.
MAX_ARMORED = 64 * 1024

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----")
_HEADER = re.compile(rb"[!-9;-~]+: .*")  # "Key: value" (printable key without ':')


class Armored(NamedTuple):
    label: str  # e.g. "PGP SIGNATURE", "SSH SIGNATURE"
    data: bytes  # the decoded binary
    rest: bytes  # whatever followed the END line, whitespace stripped ("" when nothing)


def _crc24_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        crc = i << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
        table.append(crc & 0xFFFFFF)
    return tuple(table)


_CRC24_TABLE = _crc24_table()


def crc24(data: bytes) -> int:
    """The OpenPGP armor checksum (RFC 9580 section 6.1)."""
    crc, table = 0xB704CE, _CRC24_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFFFF) ^ table[(crc >> 16) ^ b]
    return crc


def _skip_headers(lines: list[bytes]) -> int:
    """Index of the first line after the `Key: value` headers and their blank line."""
    i = 1
    while i < len(lines) and _HEADER.fullmatch(lines[i]):
        i += 1
    if i >= len(lines) or lines[i] != b"":
        raise ValueError("malformed armor headers")
    return i + 1


def trailing_problem(rest: bytes) -> str:
    """What to call bytes found after the END line (`Armored.rest`)."""
    return "more than one signature" if b"-----BEGIN" in rest else "data after the signature"


def dearmor(text: bytes, *, openpgp: bool) -> Armored:
    """Decode the single armored block that `text` starts with.

    OpenPGP armor (`openpgp=True`) may carry `Key: value` headers ended by a blank line and a
    `=XXXX` CRC24 line, which must match (GnuPG refuses a wrong CRC, so do we, although RFC 9580
    says to ignore it). SSH armor has neither. Lines may end in CRLF or trailing blanks.
    """
    if len(text) > MAX_ARMORED:
        raise ValueError("signature too large")
    lines = [ln.rstrip(b"\r \t") for ln in text.split(b"\n")]
    m = _BEGIN.fullmatch(lines[0])
    if m is None:
        raise ValueError("no armor header line")
    label = m.group(1)
    end = b"-----END " + label + b"-----"
    i = _skip_headers(lines) if openpgp else 1
    body: list[bytes] = []
    checksum: bytes | None = None
    while i < len(lines) and lines[i] != end:
        line = lines[i]
        if openpgp and line.startswith(b"=") and len(line) == 5:
            checksum = line[1:]
            if i + 1 >= len(lines) or lines[i + 1] != end:
                raise ValueError("malformed armor checksum")
        elif line:
            body.append(line)
        i += 1
    if i >= len(lines):
        raise ValueError("no armor end line")
    try:
        data = binascii.a2b_base64(b"".join(body), strict_mode=True)
        crc = binascii.a2b_base64(checksum, strict_mode=True) if checksum is not None else None
    except binascii.Error:
        raise ValueError("bad base64 in armor") from None
    if not data:
        raise ValueError("empty armor")
    if crc is not None and int.from_bytes(crc, "big") != crc24(data):
        raise ValueError("armor checksum mismatch")
    rest = b"\n".join(lines[i + 1 :]).strip()
    return Armored(label.decode("ascii"), data, rest)

"""OpenPGP packet framing and signature-packet fields (RFC 9580 sections 4.2 and 5.2).

pysequoia verifies signatures but does not tell how many packets a block holds, nor reads a
signature's fields without building a `Sig`; this small parser does both, in microseconds.
PURE: no I/O. Malformed input raises `ValueError`; it never reads past the given bytes.
"""

import hashlib
from typing import NamedTuple

SIGNATURE, ONE_PASS_SIGNATURE, COMPRESSED, LITERAL = 2, 4, 8, 11
# Packets that may use partial body lengths (RFC 9580 section 4.2.1.4).
_DATA_TAGS = frozenset({8, 9, 11, 18, 20})
_TAG_NAMES = {
    1: "encrypted session key",
    3: "encrypted session key",
    4: "one-pass signature",
    5: "secret key",
    6: "public key",
    7: "secret subkey",
    8: "compressed data",
    11: "literal data",
    13: "user id",
    14: "public subkey",
    18: "encrypted data",
}

HASH_NAMES = {
    1: "MD5",
    2: "SHA1",
    3: "RIPEMD160",
    8: "SHA256",
    9: "SHA384",
    10: "SHA512",
    11: "SHA224",
    12: "SHA3-256",
    14: "SHA3-512",
}
WEAK_HASHES = frozenset({1, 2, 3})


class Packet(NamedTuple):
    tag: int
    body: bytes
    raw: bytes  # header + body exactly as found (what pysequoia gets to parse again)

    @property
    def name(self) -> str:
        return _TAG_NAMES.get(self.tag, f"tag {self.tag}")


class SignatureFields(NamedTuple):
    version: int
    sig_type: int  # 0x00 binary document, 0x01 text document, ...
    pk_algo: int
    hash_algo: int
    created: int | None  # from the hashed area only: the unhashed area is not signed
    issuer_fpr: str | None  # upper-case hex (hashed area preferred)
    issuer_keyid: str | None  # upper-case hex, 16 digits; derived from issuer_fpr when absent
    hashed_part: bytes = b""  # the body up to the end of the hashed subpackets (hashed too)
    left16: bytes = b""  # the first two octets of the signed digest, stored in the clear

    @property
    def hash_name(self) -> str:
        return HASH_NAMES.get(self.hash_algo, f"hash #{self.hash_algo}")


def _take(data: bytes, pos: int, n: int) -> tuple[bytes, int]:
    if n < 0 or pos + n > len(data):
        raise ValueError("truncated OpenPGP packet")
    return data[pos : pos + n], pos + n


def _new_length(data: bytes, pos: int) -> tuple[int, int, bool]:
    """(length, position after it, partial?) of a new-format packet length."""
    first, pos = _take(data, pos, 1)
    o1 = first[0]
    if o1 < 192:
        return o1, pos, False
    if o1 < 224:
        o2, pos = _take(data, pos, 1)
        return ((o1 - 192) << 8) + o2[0] + 192, pos, False
    if o1 == 255:
        four, pos = _take(data, pos, 4)
        return int.from_bytes(four, "big"), pos, False
    return 1 << (o1 & 0x1F), pos, True


def split_packets(data: bytes) -> list[Packet]:
    """Frame `data` (binary OpenPGP) into packets; both header formats are accepted."""
    packets: list[Packet] = []
    pos = 0
    while pos < len(data):
        start, ctb = pos, data[pos]
        pos += 1
        if not ctb & 0x80:
            raise ValueError("not an OpenPGP packet")
        if ctb & 0x40:  # new format
            tag = ctb & 0x3F
            length, pos, partial = _new_length(data, pos)
            chunks = []
            while partial:
                if tag not in _DATA_TAGS:
                    raise ValueError("partial body length on a non-data packet")
                chunk, pos = _take(data, pos, length)
                chunks.append(chunk)
                length, pos, partial = _new_length(data, pos)
            last, pos = _take(data, pos, length)
            body = b"".join(chunks) + last
        else:  # old format
            tag, ltype = (ctb >> 2) & 0x0F, ctb & 0x03
            if ltype == 3:  # indeterminate: the rest of the data
                body, pos = data[pos:], len(data)
            else:
                raw_len, pos = _take(data, pos, (1, 2, 4)[ltype])
                body, pos = _take(data, pos, int.from_bytes(raw_len, "big"))
        packets.append(Packet(tag, body, data[start:pos]))
    return packets


def _subpackets(area: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(area):
        length, pos, partial = _new_length(area, pos)
        if partial or length == 0:  # 224..254 are not valid subpacket lengths
            raise ValueError("bad signature subpacket length")
        sub, pos = _take(area, pos, length)
        out.append((sub[0] & 0x7F, sub[1:]))
    return out


def parse_signature(body: bytes) -> SignatureFields:
    """Read the fields of a version 4 or 6 signature packet body (RFC 9580 section 5.2.3)."""
    head, pos = _take(body, 0, 1)
    version = head[0]
    if version not in (4, 6):
        raise ValueError(f"unsupported signature version {version}")
    fixed, pos = _take(body, pos, 3)
    size = 2 if version == 4 else 4
    raw_len, pos = _take(body, pos, size)
    hashed, pos = _take(body, pos, int.from_bytes(raw_len, "big"))
    raw_len, pos = _take(body, pos, size)
    unhashed, pos = _take(body, pos, int.from_bytes(raw_len, "big"))
    hashed_part = body[: pos - size - len(unhashed)]
    left16, _ = _take(body, pos, 2)  # the rest is algorithm-specific
    created = fpr = keyid = None
    for area, is_hashed in ((hashed, True), (unhashed, False)):
        for kind, value in _subpackets(area):
            if kind == 2 and is_hashed and len(value) == 4 and created is None:
                created = int.from_bytes(value, "big")
            elif kind == 33 and len(value) in (21, 33) and fpr is None:
                fpr = value[1:].hex().upper()
            elif kind == 16 and len(value) == 8 and keyid is None:
                keyid = value.hex().upper()
    if keyid is None and fpr is not None:
        keyid = fpr[-16:] if len(fpr) == 40 else fpr[:16]  # v4 keys: low 64 bits; v6: high
    return SignatureFields(
        version, fixed[0], fixed[1], fixed[2], created, fpr, keyid, hashed_part, left16
    )


_HASHLIB_NAMES = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224",
                  12: "sha3_256", 14: "sha3_512"}  # fmt: skip


def digest_prefix_matches(payload: bytes, fields: SignatureFields) -> bool | None:
    """Whether a v4 binary signature's stored left 16 bits match the digest of `payload`.

    A cheap early reject for a changed payload (RFC 9580 section 5.2.4): False means the
    signature cannot verify; True proves nothing (the signature must still be verified);
    None means not checked here (v6 salted hashes, text signatures, unknown hash).
    """
    name = _HASHLIB_NAMES.get(fields.hash_algo)
    if fields.version != 4 or fields.sig_type != 0x00 or name is None:
        return None
    trailer = b"\x04\xff" + len(fields.hashed_part).to_bytes(4, "big")
    digest = hashlib.new(name, payload + fields.hashed_part + trailer).digest()
    return digest[:2] == fields.left16

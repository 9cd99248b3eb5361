"""The SSH wire format (RFC 4251 section 5), shared by key parsing and signature checks."""

from __future__ import annotations


class WireReader:
    """SSH wire format (RFC 4251 section 5): uint32 and length-prefixed strings."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated SSH data")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def uint32(self) -> int:
        return int.from_bytes(self.raw(4), "big")

    def string(self) -> bytes:
        return self.raw(self.uint32())

    def mpint(self) -> int:
        value = self.string()
        if value[:1] >= b"\x80":
            raise ValueError("negative SSH integer")
        return int.from_bytes(value, "big")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ValueError("trailing SSH data")

"""Property tests for the parsers that face hostile bytes: armor, OpenPGP packet framing,
signature fields, SSH wire format, and the dispatcher `verify_signature` (never raises)."""

from __future__ import annotations

import binascii
import contextlib
import subprocess
import sys
from pathlib import Path

import gwkeys
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitward.model import SigKind
from gitward.signing import FORMATS, armor, ssh, verify_signature
from gitward.signing.openpgp import Keyring, packets

KEYRING = gwkeys.keyring(("alice", "carol"))
HEADERS = [*FORMATS, "-----BEGIN PGP SIGNED MESSAGE-----", ""]


def pgp_armor(data: bytes, *, crc: bool = True, headers: tuple[str, ...] = ()) -> bytes:
    b64 = binascii.b2a_base64(data, newline=False)
    lines = [b"-----BEGIN PGP SIGNATURE-----", *(h.encode() for h in headers), b""]
    lines += [b64[i : i + 64] for i in range(0, len(b64), 64)]
    if crc:
        lines.append(
            b"=" + binascii.b2a_base64(armor.crc24(data).to_bytes(3, "big"), newline=False)
        )
    return b"\n".join([*lines, b"-----END PGP SIGNATURE-----", b""])


def header(tag: int, length: int, style: int) -> bytes:
    """A packet header in one of the encodings RFC 9580 allows for `length`."""
    if style == 0 and tag < 16:  # old format, smallest length type that fits
        size = 0 if length < 256 else 1 if length < 65536 else 2
        return bytes([0x80 | tag << 2 | size]) + length.to_bytes((1, 2, 4)[size], "big")
    if style == 1 and length < 192:
        return bytes([0xC0 | tag, length])
    if style == 1 and length < 8384:
        n = length - 192
        return bytes([0xC0 | tag, (n >> 8) + 192, n & 0xFF])
    return bytes([0xC0 | tag, 255]) + length.to_bytes(4, "big")


packet_st = st.tuples(st.integers(1, 63), st.binary(max_size=300), st.integers(0, 2))


@given(st.lists(packet_st, max_size=5))
def test_split_packets_round_trips(spec: list[tuple[int, bytes, int]]) -> None:
    raws = [header(tag, len(body), style) + body for tag, body, style in spec]
    found = packets.split_packets(b"".join(raws))
    assert [(p.tag, p.body, p.raw) for p in found] == [
        (tag, body, raw) for (tag, body, _), raw in zip(spec, raws, strict=True)
    ]


@given(st.lists(st.binary(min_size=1, max_size=64), min_size=1, max_size=4), st.binary(max_size=40))
def test_partial_body_lengths_are_joined_for_data_packets(chunks: list[bytes], last: bytes) -> None:
    parts = b"".join(bytes([224 + 6]) + c.ljust(64, b"\0") for c in chunks)  # 64-octet partials
    data = bytes([0xC0 | packets.LITERAL]) + parts + bytes([len(last)]) + last
    [packet] = packets.split_packets(data)
    assert packet.body == b"".join(c.ljust(64, b"\0") for c in chunks) + last
    with pytest.raises(ValueError, match="partial body length"):  # never on a signature
        packets.split_packets(bytes([0xC0 | packets.SIGNATURE]) + parts + b"\0")


@given(st.binary(max_size=200))
def test_split_packets_only_raises_value_error_and_covers_its_input(data: bytes) -> None:
    try:
        found = packets.split_packets(data)
    except ValueError:
        return
    assert b"".join(p.raw for p in found) == data


@given(
    st.sampled_from([4, 6]),
    st.integers(0, 0xFF),
    st.integers(0, 0xFF),
    st.integers(0, 2**32 - 1),
    st.binary(min_size=20, max_size=20),
    st.booleans(),
)
def test_parse_signature_reads_its_fields(
    version: int, sig_type: int, hash_algo: int, created: int, fpr: bytes, fpr_hashed: bool
) -> None:
    def sub(kind: int, value: bytes) -> bytes:
        return bytes([len(value) + 1, kind]) + value

    size = 2 if version == 4 else 4
    issuer = sub(33, b"\x04" + fpr)
    hashed = sub(2, created.to_bytes(4, "big")) + (issuer if fpr_hashed else b"")
    unhashed = b"" if fpr_hashed else issuer
    body = bytes([version, sig_type, 22, hash_algo]) + len(hashed).to_bytes(size, "big") + hashed
    body += len(unhashed).to_bytes(size, "big") + unhashed + b"\xab\xcd" + b"sig"
    fields = packets.parse_signature(body)
    assert (fields.version, fields.sig_type, fields.hash_algo) == (version, sig_type, hash_algo)
    assert fields.created == created and fields.issuer_fpr == fpr.hex().upper()
    assert fields.issuer_keyid == fpr.hex().upper()[-16:]
    assert fields.hashed_part == body[: 4 + size + len(hashed)] and fields.left16 == b"\xab\xcd"
    with pytest.raises(ValueError):
        packets.parse_signature(body[: len(body) - len(unhashed) - 6 + 1])


@given(st.binary(max_size=120))
def test_parse_signature_only_raises_value_error(body: bytes) -> None:
    with contextlib.suppress(ValueError):
        packets.parse_signature(body)


@given(st.binary(min_size=1, max_size=600), st.booleans(), st.sampled_from([(), ("Version: x",)]))
def test_dearmor_round_trips_and_checks_crc(
    data: bytes, crc: bool, headers: tuple[str, ...]
) -> None:
    block = armor.dearmor(pgp_armor(data, crc=crc, headers=headers), openpgp=True)
    assert (block.label, block.data, block.rest) == ("PGP SIGNATURE", data, b"")
    crlf = pgp_armor(data, crc=crc, headers=headers).replace(b"\n", b"\r\n")
    assert armor.dearmor(crlf, openpgp=True).data == data
    lines = pgp_armor(data).split(b"\n")
    wrong = (armor.crc24(data) ^ 1).to_bytes(3, "big")
    lines[-3] = b"=" + binascii.b2a_base64(wrong, newline=False)
    with pytest.raises(ValueError, match="checksum mismatch"):
        armor.dearmor(b"\n".join(lines), openpgp=True)


@given(st.binary(max_size=300))
def test_dearmor_only_raises_value_error(text: bytes) -> None:
    for prefix in (b"", b"-----BEGIN PGP SIGNATURE-----\n", b"-----BEGIN SSH SIGNATURE-----\n"):
        for openpgp in (True, False):
            with contextlib.suppress(ValueError):
                armor.dearmor(prefix + text, openpgp=openpgp)


@given(st.binary(max_size=200))
def test_ssh_key_blob_parser_only_raises_value_error(blob: bytes) -> None:
    with contextlib.suppress(ValueError):
        ssh.parse_key_blob(blob)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADERS), st.binary(max_size=400), st.binary(max_size=50))
def test_verify_signature_never_raises_on_hostile_bytes(
    first: str, body: bytes, payload: bytes
) -> None:
    for sig in (
        first.encode() + b"\n" + body,
        first.encode() + b"\n\n" + binascii.b2a_base64(body),
    ):
        check = verify_signature(payload, sig, KEYRING)
        assert not check.good and check.problem


@pytest.fixture(scope="module")
def real_signatures(gnupghome: Path) -> list[tuple[bytes, bytes, str]]:
    payload = b"tree 1\n\nmsg\n"
    return [
        (payload, gwkeys.gpg_sign(gnupghome, "alice", payload), gwkeys.fingerprint("alice")),
        (payload, gwkeys.ssh_sign("alice", payload), gwkeys.ssh_fingerprint("alice")),
    ]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_real_signatures_never_raise_nor_change_signer(
    real_signatures: list[tuple[bytes, bytes, str]], data: st.DataObject
) -> None:
    payload, sig, fpr = data.draw(st.sampled_from(real_signatures))
    at = data.draw(st.integers(0, len(sig) - 1))
    mutated = sig[:at] + bytes([data.draw(st.integers(0, 255))]) + sig[at + 1 :]
    check = verify_signature(payload, mutated, KEYRING)
    assert not check.good or check.key_fingerprint == fpr


@pytest.mark.parametrize(
    ("first", "kind", "problem"),
    [
        ("-----BEGIN SIGNED MESSAGE-----", SigKind.X509, "X.509 signatures are not supported"),
        ("-----BEGIN PGP SIGNED MESSAGE-----", SigKind.UNKNOWN, "unknown signature format"),
        ("garbage", SigKind.UNKNOWN, "unknown signature format"),
        ("-----BEGIN PGP MESSAGE-----", SigKind.OPENPGP, None),
        ("-----BEGIN SSH SIGNATURE-----", SigKind.SSH, None),
    ],
)
def test_dispatch_on_the_first_armor_line(first: str, kind: SigKind, problem: str | None) -> None:
    check = verify_signature(b"x", first.encode() + b"\nAAAA\n", Keyring())
    assert check.kind is kind and not check.good
    assert problem is None or check.problem == problem


def test_import_stays_light() -> None:
    """The hook imports gitward.signing: no gnupg, GitPython, yaml, flask, requests, nor
    cryptography (loaded only when an SSH signature is checked)."""
    code = (
        "import sys, gitward.signing; "
        "print(sorted(m for m in ('gnupg', 'git', 'yaml', 'flask', 'requests', 'cryptography') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", gwkeys.NAMES)
def test_crc24_agrees_with_gnupg(name: str) -> None:
    """gpg's armored exports carry a CRC24 line; dearmor raises when ours differs."""
    block = armor.dearmor(gwkeys.public_key(name), openpgp=True)
    assert block.label == "PGP PUBLIC KEY BLOCK" and block.data

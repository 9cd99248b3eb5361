"""Real keys as GitHub and Gitea list them, for the forge double (gwforge).

Certificates come from gpg and SSH keys from ssh-keygen, made while the tests run (gwgpg); the
answers carry the fields the forges' API descriptions define, filled the way each forge fills
them: GitHub's GpgKey keeps the upload in `raw_key` (its `public_key` is bare key material);
Gitea's GPGKey has the primary key packet alone in `public_key`, `expires_at` at the Unix epoch
for a key that never expires, and its armored certificates at `<web root>/<login>.gpg`, served
here by `KeyExport` on a server of its own. `check_answer` validates an answer against the
description's response schema, so a test cannot script a shape the forge would never send.

    home = gwgpg.new_home()
    key = ed25519(home, "Dana <dana@example.org>")
    forge.on("GET", "/users/dana/gpg_keys", Answer(json=[gitea_gpg(key, verified=True)]))
"""

from __future__ import annotations

import base64
import functools
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import gwapi
import gwgpg
import jsonschema
from pysequoia.packet import PacketPile, Tag
from pytest_httpserver import HTTPServer
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from werkzeug import Request, Response

EPOCH = "1970-01-01T00:00:00Z"  # Gitea's expires_at for "never"


class Key(NamedTuple):
    """A certificate made by gpg in `home`."""

    home: Path
    fingerprint: str  # primary, upper-case
    uid: str

    @property
    def key_id(self) -> str:
        return self.fingerprint[-16:]

    @property
    def email(self) -> str:
        return self.uid.split("<", 1)[1].rstrip(">")

    def armored(self) -> bytes:
        return gwgpg.export(self.home, self.fingerprint)


def _primary(home: Path, uid: str) -> str:
    out = gwgpg.gpg(home, "--with-colons", "--fingerprint", f"={uid}").decode()
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


def ed25519(home: Path, uid: str, *, expire: str = "never", at: str = "") -> Key:
    """Primary key that signs (at `at`, a faked gpg clock, so that it may expire by now)."""
    return Key(home, gwgpg.make_key(home, uid, expire=expire, at=at), uid)


def rsa(home: Path, uid: str, bits: int = 2048) -> Key:
    gwgpg.gpg(home, "--quick-gen-key", uid, f"rsa{bits}", "sign,cert", "never")
    return Key(home, _primary(home, uid), uid)


def with_signing_subkey(home: Path, uid: str) -> tuple[Key, str]:
    """A certify-only primary and its signing subkey (the subkey's fingerprint)."""
    key = Key(home, gwgpg.make_key(home, uid, usage="cert"), uid)
    return key, gwgpg.add_subkey(home, key.fingerprint)


def revoke(key: Key) -> None:
    """Revoke the whole certificate with the revocation gpg made when it made the key."""
    text = (key.home / "openpgp-revocs.d" / f"{key.fingerprint}.rev").read_text()
    gwgpg.gpg(key.home, "--import", input=text.replace(":-----BEGIN", "-----BEGIN").encode())


def ssh_key(directory: Path, name: str) -> str:
    """A new ed25519 public key line (ssh-keygen), without its comment as forges list it."""
    _, line = gwgpg.ssh_keypair(directory, name, f"{name}@test")
    return " ".join(line.split()[:2])


def rsa_ssh_key(directory: Path, name: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return " ".join(key.with_name(f"{name}.pub").read_text().split()[:2])


# -- what the forges answer -----------------------------------------------------------------


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _packets(cert: bytes) -> list[Any]:
    return list(PacketPile.from_bytes(cert))


def _key_packet(p: Any) -> bytes:
    """The serialised key packet (`public_key`): a primary key packet even for a subkey, as
    Gitea serialises a subkey's public key."""
    return gwgpg._packet(int(Tag.PublicKey), bytes(p.body))


def _subkeys(cert: bytes) -> list[Any]:
    return [p for p in _packets(cert) if p.tag == Tag.PublicSubkey]


def _expiry(key: Key) -> str | None:
    out = gwgpg.gpg(key.home, "--with-colons", "--list-keys", key.fingerprint).decode()
    field = next(line.split(":")[6] for line in out.splitlines() if line.startswith("pub:"))
    return _iso(datetime.fromtimestamp(int(field), UTC)) if field else None


def github_gpg(
    key: Key,
    *,
    emails: Sequence[tuple[str, bool]] | None = None,
    revoked: bool = False,
    raw: bool = True,
    number: int = 1,
) -> dict[str, object]:
    """One GpgKey as users/list-gpg-keys-for-user gives it."""
    cert = key.armored()
    primary = _packets(cert)[0]
    subkeys: list[dict[str, object]] = [
        {
            "id": number * 100 + i,
            "primary_key_id": number,
            "key_id": str(p.key_id).upper(),
            "public_key": base64.b64encode(bytes(p.body)).decode(),
            "emails": [],
            "subkeys": [],
            "can_sign": True,
            "can_encrypt_comms": False,
            "can_encrypt_storage": False,
            "can_certify": False,
            "created_at": _iso(p.key_created),
            "expires_at": None,
            "raw_key": None,
            "revoked": False,
        }
        for i, p in enumerate(_subkeys(cert), 1)
    ]
    return {
        "id": number,
        "name": None,
        "primary_key_id": None,
        "key_id": key.key_id,
        "public_key": base64.b64encode(bytes(primary.body)).decode(),
        "emails": [{"email": e, "verified": ok} for e, ok in (emails or [(key.email, True)])],
        "subkeys": subkeys,
        "can_sign": True,
        "can_encrypt_comms": False,
        "can_encrypt_storage": False,
        "can_certify": True,
        "created_at": _iso(primary.key_created),
        "expires_at": _expiry(key),
        "revoked": revoked,
        "raw_key": cert.decode() if raw else None,
    }


def gitea_gpg(
    key: Key,
    *,
    verified: bool = True,
    emails: Sequence[tuple[str, bool]] | None = None,
    number: int = 1,
) -> dict[str, object]:
    """One GPGKey as userListGPGKeys gives it (services/convert ToGPGKey)."""
    cert = key.armored()
    primary = _packets(cert)[0]
    subkeys: list[dict[str, object]] = [
        {
            "id": number * 100 + i,
            "primary_key_id": key.key_id,
            "key_id": str(p.key_id).upper(),
            "public_key": base64.b64encode(_key_packet(p)).decode(),
            "emails": [],
            "subkeys": [],
            "can_sign": True,
            "can_encrypt_comms": False,
            "can_encrypt_storage": False,
            "can_certify": True,
            "created_at": _iso(p.key_created),
            "expires_at": EPOCH,
            "verified": verified,
        }
        for i, p in enumerate(_subkeys(cert), 1)
    ]
    return {
        "id": number,
        "primary_key_id": "",
        "key_id": key.key_id,
        "public_key": base64.b64encode(_key_packet(primary)).decode(),
        "emails": [{"email": e, "verified": ok} for e, ok in (emails or [(key.email, True)])],
        "subkeys": subkeys,
        "can_sign": True,
        "can_encrypt_comms": False,
        "can_encrypt_storage": False,
        "can_certify": True,
        "created_at": _iso(primary.key_created),
        "expires_at": _expiry(key) or EPOCH,
        "verified": verified,
    }


def github_ssh(line: str, title: str, number: int = 1) -> dict[str, object]:
    """One SSH Signing Key (users/list-ssh-signing-keys-for-user)."""
    return {"id": number, "key": line, "title": title, "created_at": "2026-01-02T03:04:05Z"}


def gitea_ssh(line: str, title: str, number: int = 1, fingerprint: str = "") -> dict[str, object]:
    """One PublicKey (userListKeys), as services/convert ToPublicKey fills it."""
    return {
        "id": number,
        "key": line,
        "url": f"https://gitea.example/api/v1/user/keys/{number}",
        "title": title,
        "fingerprint": fingerprint,
        "created_at": "2026-01-02T03:04:05Z",
        "last_used_at": "2026-01-02T03:04:05Z",
        "key_type": "user",
        "read_only": False,
    }


def check_answer(which: str, method: str, path: str, body: object) -> None:
    """`body` fits what the API description says operation `method path` answers (200)."""
    spec = gwapi._spec(which)
    operation = gwapi._operation(spec, method, path.split("?", 1)[0])
    answer = operation["responses"]["200"]
    if "$ref" in answer:  # Swagger 2: #/responses/<name>
        answer = spec["responses"][answer["$ref"].rsplit("/", 1)[1]]
    schema = (
        answer["content"]["application/json"]["schema"] if "content" in answer else answer["schema"]
    )
    root = gwapi._nullable_to_types(spec)
    registry: Registry[Any] = Registry().with_resource(
        "urn:api", Resource.from_contents(root, default_specification=DRAFT4)
    )
    resolved = gwapi._rebase(gwapi._nullable_to_types(schema))
    jsonschema.Draft4Validator(resolved, registry=registry).validate(body)


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(data: bytes, headers: Mapping[str, str]) -> bytes:
    """OpenPGP ASCII armor of public key packets (RFC 9580 section 6), with `headers`."""
    text = base64.b64encode(data).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    crc = base64.b64encode(_crc24(data).to_bytes(3, "big")).decode()
    head = [f"{k}: {v}" for k, v in headers.items()]
    block = ["-----BEGIN PGP PUBLIC KEY BLOCK-----", *head, "", *lines, f"={crc}"]
    return "\n".join([*block, "-----END PGP PUBLIC KEY BLOCK-----", ""]).encode()


class KeyExport:
    """Gitea's keyring export, `GET /<login>.gpg` below the web root, on its own server (the
    double answers only below its API prefix). `exports[login]` is what it sends; `seen`
    lists the paths asked for."""

    def __init__(self, server: HTTPServer) -> None:
        server.clear()
        self.server = server
        self.exports: dict[str, bytes] = {}
        self.status: int = 200
        self.headers: dict[str, str] = {}
        self.delay = 0.0  # seconds to stall before answering
        self.seen: list[str] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def publish(self, login: str, keys: Sequence[Key], note: str = "") -> None:
        """The armored export of `keys` (one block, as Gitea writes it; its `Note` header
        names keys it could not export)."""
        binary = b"".join(gwgpg.gpg(k.home, "--export", k.fingerprint) for k in keys)
        self.exports[login] = armor(binary, {"Note": note} if note else {})

    def _handle(self, request: Request) -> Response:
        self.seen.append(request.path)
        if self.delay:
            time.sleep(self.delay)
        found = re.fullmatch(r"/([^/]+)\.gpg", request.path)
        data = self.exports.get(found.group(1)) if found else None
        if self.status != 200:
            return Response("try later", self.status, headers=self.headers)
        if data is None:
            return Response("Not found", 404)
        return Response(data, 200, content_type="text/plain; charset=utf-8")


def forges_yaml(directory: Path, entries: Mapping[str, tuple[str, str, str]]) -> Path:
    """forges.yaml beside a policy: name -> (type, api_url, git_url), each with the token in
    $GW_TEST_TOKEN; loopback http allowed (tests)."""
    lines = ["receiver: {allow_insecure_loopback: true}", "forges:"]
    for name, (kind, api_url, git_url) in entries.items():
        lines += [
            f"  - name: {name}",
            f"    type: {kind}",
            f"    api_url: {api_url}",
            f"    git_url: {git_url}",
            "    webhook_secret: env:GW_TEST_WEBHOOK_SECRET",
            "    token: env:GW_TEST_TOKEN",
            "    repositories: [acme/*]",
        ]
    path = directory / "forges.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


class KeySet(NamedTuple):
    """One of each shape, in one GnuPG home: made once per test process (`keyset()`)."""

    home: Path
    dana: Key  # ed25519, signs
    rob: Key  # RSA 2048
    sam: Key  # certify-only primary...
    sam_sub: str  # ...and its signing subkey
    old: Key  # expired on 2020-12-31
    gone: Key  # revoked
    ssh: str  # ed25519 public key line
    ssh_rsa: str  # RSA 3072 public key line


@functools.cache
def keyset() -> KeySet:
    home = gwgpg.new_home()
    sam, sam_sub = with_signing_subkey(home, "Sam Split <sam@example.org>")
    gone = ed25519(home, "Gone Away <gone@example.org>")
    revoke(gone)
    return KeySet(
        home,
        ed25519(home, "Dana Example <dana@example.org>"),
        rsa(home, "Rob Rsa <rob@example.org>"),
        sam,
        sam_sub,
        ed25519(home, "Old Timer <old@example.org>", expire="1y", at="20200101T000000"),
        gone,
        ssh_key(home / "ssh", "ed"),
        rsa_ssh_key(home / "ssh", "rsa"),
    )

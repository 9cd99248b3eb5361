"""A forge user's public signing keys, as the forge lists them: values, and what both forge
types share in reading them. PURE: the readers take decoded JSON and return values; they judge
nothing (`gitward.signers.candidates` decides which keys a signer gets).

Readers raise ValueError for an item they cannot read: a listing with an item nobody can
interpret is not a complete listing, and `signers sync` must not act on part of one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, Protocol, TypeVar
from urllib.parse import quote

from gitward.forges.status import Request

# GitHub logins are letters, digits and hyphens; Gitea also allows `_` and `.`. Both begin with a
# letter or digit, so a login is never `.` or `..` (which would climb the URL path).
LOGIN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
_KEY_ID = re.compile(r"[0-9A-Fa-f]{16}")
_T = TypeVar("_T")


class ForgeGpgKey(NamedTuple):
    """One OpenPGP key a user uploaded. The forge's flags say whether it vouches for the key;
    the certificate itself (`armored`, or Gitea's export) is the authority on expiry,
    revocation and what may sign."""

    key_id: str  # the primary key's 16-digit id, upper-case
    emails: tuple[tuple[str, bool], ...]  # (address, verified by the forge)
    revoked: bool  # the forge says the key is revoked
    verified: bool | None  # the forge's own check of the key; None: it has none (GitHub)
    armored: str | None  # the whole certificate as uploaded (GitHub's raw_key), if given
    key_packet: bytes | None  # the primary key packet alone (Gitea's public_key)
    subkey_ids: tuple[str, ...] = ()

    @property
    def verified_emails(self) -> tuple[str, ...]:
        return tuple(address for address, ok in self.emails if ok)


class ForgeSshKey(NamedTuple):
    """One SSH public key the forge lists for the user (GitHub: a signing key)."""

    key: str  # TYPE BASE64 [COMMENT]
    title: str
    verified: bool | None  # None: the forge does not say whether it verified the key


class KeyApi(Protocol):
    """What `ForgeClient` needs to list a user's keys on one forge type (the modules
    `forges.github_keys`, `forges.gitea_keys`)."""

    PAGE_SIZE: int

    def gpg_keys_request(self, login: str, page: int) -> Request: ...
    def ssh_keys_request(self, login: str, page: int) -> Request: ...
    def gpg_keys(self, payload: Sequence[object]) -> list[ForgeGpgKey]: ...
    def ssh_keys(self, payload: Sequence[object]) -> list[ForgeSshKey]: ...
    def gpg_export_path(self, login: str) -> str | None: ...


def user_segment(login: str) -> str:
    """`login` as one URL path segment; ValueError when it is not a forge login."""
    if not re.fullmatch(LOGIN, login):
        raise ValueError(f"not a forge user name: {login!r}")
    return quote(login, safe="")


def item(payload: object, index: int) -> Mapping[str, object]:
    """Item `index` of a listing, which must be a JSON object."""
    if not isinstance(payload, Mapping):
        raise ValueError(f"item {index} is not an object")
    return payload


def text(obj: Mapping[str, object], key: str, index: int) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"item {index}: {key} is not a string")
    return value


def flag(obj: Mapping[str, object], key: str, index: int, default: bool | None) -> bool | None:
    """A boolean field; `default` when absent, ValueError when it is something else."""
    value = obj.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"item {index}: {key} is not true or false")
    return value


def key_id(obj: Mapping[str, object], index: int) -> str:
    value = text(obj, "key_id", index)
    if not _KEY_ID.fullmatch(value):
        raise ValueError(f"item {index}: key_id is not 16 hex digits")
    return value.upper()


def emails(obj: Mapping[str, object], index: int) -> tuple[tuple[str, bool], ...]:
    """`emails: [{email, verified}]`, as both forges spell it (GPGKeyEmail)."""
    raw = obj.get("emails") or []
    if not isinstance(raw, list):
        raise ValueError(f"item {index}: emails is not a list")
    found = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise ValueError(f"item {index}: an e-mail is not an object")
        address = text(entry, "email", index)
        found.append((address, entry.get("verified") is True))
    return tuple(found)


def subkey_ids(obj: Mapping[str, object], index: int) -> tuple[str, ...]:
    raw = obj.get("subkeys") or []
    if not isinstance(raw, list):
        raise ValueError(f"item {index}: subkeys is not a list")
    return tuple(key_id(item(sub, index), index) for sub in raw)


def distinct(items: list[_T], name: Callable[[_T], str]) -> list[_T]:
    """`items` unless one is listed twice (the list moved while it was read page by page)."""
    seen = [name(i) for i in items]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise ValueError(f"{twice[0]} is listed twice (the list changed while it was read)")
    return items


def ssh_name(key: ForgeSshKey) -> str:
    """An SSH key without its comment: the same key may carry two titles, never two owners."""
    return " ".join(key.key.split()[:2])

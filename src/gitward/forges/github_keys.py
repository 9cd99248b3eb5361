"""GitHub: a user's GPG keys (users/list-gpg-keys-for-user) and SSH signing keys
(users/list-ssh-signing-keys-for-user), both in the fixtures' subset of GitHub's description.
PURE.

GitHub keeps the certificate as uploaded in `raw_key`; its `public_key` is the primary key's
material alone, which no OpenPGP program can use. `raw_key` is null for keys uploaded before
GitHub kept it: such a key cannot be imported until its owner uploads it again.

GitHub has no key-level verification. A key sits on an account only its holder can change, and
each of its e-mails is `verified` when it is a verified address of that account; GitHub marks a
commit Verified on no more than that. SSH signing keys carry no flags at all: GitHub vouches for
them by their being on the account, and so they come with `verified=True`.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitward.forges.status import Request
from gitward.forges.userkeys import (
    ForgeGpgKey,
    ForgeSshKey,
    distinct,
    emails,
    flag,
    item,
    key_id,
    ssh_name,
    subkey_ids,
    text,
    user_segment,
)

PAGE_SIZE = 100  # the most GitHub gives a page (`per_page`)


def gpg_keys_request(login: str, page: int = 1) -> Request:
    return Request("GET", f"/users/{user_segment(login)}/gpg_keys?per_page={PAGE_SIZE}&page={page}")


def ssh_keys_request(login: str, page: int = 1) -> Request:
    """The keys the user added for signing (not those for authentication: `/users/{u}/keys`)."""
    return Request(
        "GET", f"/users/{user_segment(login)}/ssh_signing_keys?per_page={PAGE_SIZE}&page={page}"
    )


def gpg_keys(payload: Sequence[object]) -> list[ForgeGpgKey]:
    """The keys in one or more pages of GpgKey objects; ValueError for one it cannot read."""
    keys = []
    for i, raw in enumerate(payload):
        obj = item(raw, i)
        armored = obj.get("raw_key")
        if armored is not None and not isinstance(armored, str):
            raise ValueError(f"item {i}: raw_key is not a string")
        keys.append(
            ForgeGpgKey(
                key_id=key_id(obj, i),
                emails=emails(obj, i),
                revoked=flag(obj, "revoked", i, False) is True,
                verified=None,
                armored=armored or None,
                key_packet=None,
                subkey_ids=subkey_ids(obj, i),
            )
        )
    return distinct(keys, lambda k: f"key {k.key_id}")


def ssh_keys(payload: Sequence[object]) -> list[ForgeSshKey]:
    """The keys in pages of SSH Signing Key objects."""
    keys = []
    for i, raw in enumerate(payload):
        obj = item(raw, i)
        title = obj.get("title")
        keys.append(
            ForgeSshKey(text(obj, "key", i).strip(), title if isinstance(title, str) else "", True)
        )
    return distinct(keys, ssh_name)


def gpg_export_path(login: str) -> str | None:
    """GitHub lists whole certificates (`raw_key`): there is nothing else to fetch."""
    user_segment(login)
    return None

"""Gitea and Forgejo: a user's GPG keys (userListGPGKeys) and SSH keys (userListKeys). PURE.

Gitea's `public_key` is the primary key packet alone, in base64 (not the armored key its
Swagger text suggests): no user id, no binding signature, nothing a verifier can use. Gitea
keeps the uploaded certificates and exports them, armored, at `<web root>/<login>.gpg` (its
keyring export, beside the REST API; `git_url` in forges.yaml is that root). A key it cannot
export (uploaded before Gitea kept copies) is named in the export's `Note` armor header.

Gitea verifies a GPG key when its owner signs a token with it (`verified`), and lists as
`emails` the account's addresses found in the key's user ids, `verified` when activated. It
verifies SSH keys the same way, but its API does not say which ones it verified: those keys
come with `verified` None (unknown) unless the answer carries the field. `expires_at` of a key
that never expires is the Unix epoch; gitward reads expiry from the certificate anyway.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from gitward.forges import gitea
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

PAGE_SIZE = gitea.PAGE_SIZE  # Gitea's MAX_RESPONSE_ITEMS: it never gives more, whatever asked
ARMOR = "-----BEGIN PGP PUBLIC KEY BLOCK-----"


def gpg_keys_request(login: str, page: int = 1) -> Request:
    return Request("GET", f"/users/{user_segment(login)}/gpg_keys?page={page}&limit={PAGE_SIZE}")


def ssh_keys_request(login: str, page: int = 1) -> Request:
    """The user's SSH keys: Gitea verifies commit signatures against these same keys."""
    return Request("GET", f"/users/{user_segment(login)}/keys?page={page}&limit={PAGE_SIZE}")


def _key_material(value: object) -> tuple[str | None, bytes | None]:
    """(armored certificate, bare key packet) from `public_key`; a value that is neither
    leaves the key unusable, not the listing unreadable."""
    if not isinstance(value, str) or not value:
        return None, None
    if value.lstrip().startswith(ARMOR):
        return value, None
    try:
        return None, base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None, None


def gpg_keys(payload: Sequence[object]) -> list[ForgeGpgKey]:
    """The keys in one or more pages of GPGKey objects; ValueError for one it cannot read."""
    keys = []
    for i, raw in enumerate(payload):
        obj = item(raw, i)
        armored, packet = _key_material(obj.get("public_key"))
        keys.append(
            ForgeGpgKey(
                key_id=key_id(obj, i),
                emails=emails(obj, i),
                revoked=False,  # Gitea lists no revocation: the certificate tells
                verified=flag(obj, "verified", i, False),
                armored=armored,
                key_packet=packet,
                subkey_ids=subkey_ids(obj, i),
            )
        )
    return distinct(keys, lambda k: f"key {k.key_id}")


def ssh_keys(payload: Sequence[object]) -> list[ForgeSshKey]:
    """The keys in pages of PublicKey objects; principals (`key_type: principal`: a name,
    not a key) are not keys and are skipped."""
    keys = []
    for i, raw in enumerate(payload):
        obj = item(raw, i)
        if obj.get("key_type") == "principal":
            continue
        title = obj.get("title")
        title = title if isinstance(title, str) else ""
        keys.append(ForgeSshKey(text(obj, "key", i).strip(), title, flag(obj, "verified", i, None)))
    return distinct(keys, ssh_name)


def gpg_export_path(login: str) -> str:
    """Gitea's armored export of every GPG key of `login`, below `git_url`."""
    return f"/{user_segment(login)}.gpg"

"""A signer file's version token: what an editor saw, checked again under the edit lock.

An edit that names the version it started from (the admin page puts it in every form) is
refused when the file changed since, so of two admins saving at once the second is told
instead of silently overwriting the first (no lost update).
"""

from __future__ import annotations

import hashlib

from gitward.errors import SignerEditError


class SignerChanged(SignerEditError):
    """The signer file is not the version the edit was made against."""


def token(text: str) -> str:
    """The version of a signer file's text (a digest: equal texts, equal tokens)."""
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def check(signer_id: str, text: str, expected: str | None) -> None:
    """Refuse with SignerChanged unless `text` is at version `expected` (None: no check)."""
    if expected is not None and token(text) != expected:
        raise SignerChanged(
            f"signer {signer_id!r} was changed by someone else after you opened it; "
            "nothing was saved. Reload to see the current version, then make your change again"
        )

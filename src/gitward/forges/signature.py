"""Webhook authenticity: HMAC-SHA256 over the raw body, compared in constant time. PURE.

GitHub sends `X-Hub-Signature-256: sha256=<hex>`; Gitea `X-Gitea-Signature` and Forgejo
`X-Forgejo-Signature` send the bare hex. Which header counts comes from the route's configured
forge type, never from the headers themselves (Gitea also sends every GitHub header). Several
secrets may be configured while one is rotated: any of them authenticates.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence


def digest(secret: bytes, body: bytes) -> str:
    """The lower-case hex HMAC-SHA256 of `body` under `secret`."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def matches(body: bytes, given: str | None, secrets: Sequence[bytes], prefix: str = "") -> bool:
    """True when `given` (the header's value) is `prefix` + the HMAC of `body` under one of
    `secrets`. A missing or empty header, or no configured secret, never matches (fail
    closed: Gitea sends empty signature headers when its webhook has no secret)."""
    if not given or not secrets:
        return False
    if not given.startswith(prefix):
        return False
    candidate = given[len(prefix) :].strip().lower().encode("ascii", "replace")
    ok = False
    for secret in secrets:  # every secret is tried: the time taken says nothing of which one
        ok |= hmac.compare_digest(candidate, digest(secret, body).encode("ascii"))
    return ok

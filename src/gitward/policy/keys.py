"""Whether a registered key may sign at the instant the server received the push.

Judged at `Push.received_at`, never at a date inside the object: committer and signature dates
are chosen by whoever made the commit and prove nothing. Problems are phrased to follow
"key <fingerprint> (<signer>) ...".
"""

from __future__ import annotations

from datetime import datetime

from gitward.model import SignatureCheck
from gitward.policy.hints import short_fingerprint, when
from gitward.policy.spec import KeyValidity, OpenPGPKey, SSHKey


def validity_problem(validity: KeyValidity, at: datetime) -> str | None:
    """Why the admin-set validity window excludes `at`, or None when it does not."""
    if validity.valid_at(at):
        return None
    if validity.revoked_since is not None and at >= validity.revoked_since:
        return f"is revoked since {when(validity.revoked_since)}"
    if validity.not_before is not None and at < validity.not_before:
        return f"is not valid before {when(validity.not_before)}"
    if validity.not_after is not None and at > validity.not_after:
        return f"expired on {when(validity.not_after)}"
    return f"is not valid at {when(at)}"


def openpgp_problem(key: OpenPGPKey, signing_key: str | None, at: datetime) -> str | None:
    """Why the certificate itself, or the (sub)key that signed, is unusable at `at`."""
    if key.cert_revoked:
        return "is revoked (its certificate carries a revocation)"
    if key.expires_at is not None and at >= key.expires_at:
        return f"expired on {when(key.expires_at)}"
    used = (signing_key or "").upper()
    if not used:
        # The verifier must say which key signed; without it we cannot check subkey expiry.
        return "signed, but the verifier did not report with which (sub)key"
    if used == key.fingerprint.upper():
        return None if key.primary_can_sign else "signed with its primary key, which may not sign"
    subkeys = {fp.upper(): expiry for fp, expiry in key.signing_subkeys.items()}
    short = short_fingerprint(used)
    if used not in subkeys:
        return f"signed with {short}, which is not one of its signing subkeys"
    expiry = subkeys[used]
    if expiry is not None and at >= expiry:
        return f"signed with subkey {short}, which expired on {when(expiry)}"
    return None


def key_problem(key: OpenPGPKey | SSHKey, check: SignatureCheck, at: datetime) -> str | None:
    """Why `key` may not sign at `at` (None: it may). The first reason found wins."""
    problem = validity_problem(key.validity, at)
    if problem is None and isinstance(key, OpenPGPKey):
        problem = openpgp_problem(key, check.signing_key, at)
    return problem

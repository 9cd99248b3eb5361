"""The signer file's table of keys: what the loader validates and the schema publishes."""

from __future__ import annotations

from gitward.config.dates import Date
from gitward.config.policy_table import NAME
from gitward.config.scalars import Str
from gitward.config.shapes import Field, ListOf, Obj

FINGERPRINT = r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}"
_VALIDITY = {
    "not_before": Field(Date(), "The key may sign from this instant on (UTC if no zone)."),
    "not_after": Field(Date(), "The key may sign until this instant."),
    "revoked_since": Field(Date(), "The key is revoked from this instant on."),
}
OPENPGP_KEY = Obj(
    {
        "fingerprint": Field(
            Str("a primary key fingerprint of 40 (or 64) hex digits", FINGERPRINT),
            "Primary key fingerprint; the key is keys/<FINGERPRINT>.asc.",
            required=True,
        ),
        **_VALIDITY,
    },
    "An OpenPGP certificate; its signing subkeys may sign too.",
)
SSH_KEY = Obj(
    {
        "key": Field(
            Str(
                "an SSH public key line (type base64 [comment])",
                r"[a-z0-9@.-]+ "
                r"[A-Za-z0-9+/=]+( [^\x00-\x1f\x7f]*)?",
            ),
            "Public key as in id_ed25519.pub.",
            required=True,
        ),
        **_VALIDITY,
    },
    "An SSH public key.",
)
SIGNER = Obj(
    {
        "id": Field(
            Str(f"a signer id matching {NAME}", NAME),
            "Equals the file name without .yaml.",
            required=True,
        ),
        "name": Field(
            Str("a display name", min_length=1, max_length=200), "Display name.", required=True
        ),
        "emails": Field(
            ListOf(
                Str("an e-mail address", r"[^@\s<>]+@[^@\s<>]+"), 1, "a list of e-mail addresses"
            ),
            "E-mail addresses this signer commits with.",
            required=True,
        ),
        "groups": Field(
            ListOf(Str(f"a group name matching {NAME}", NAME)),
            "Signer groups, used as group:<name> in signature rules.",
        ),
        "openpgp": Field(ListOf(OPENPGP_KEY), "OpenPGP keys."),
        "ssh": Field(ListOf(SSH_KEY), "SSH keys."),
    },
    "One allowed signer.",
)

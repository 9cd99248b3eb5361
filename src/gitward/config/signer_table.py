"""The signer file's table of keys: what the loader validates and the schema publishes."""

from __future__ import annotations

from gitward.config.dates import Date
from gitward.config.fields import INVALID, JSON, KeyPath, Problems, Stateless
from gitward.config.policy_table import NAME
from gitward.config.scalars import Bool, Str
from gitward.config.shapes import Field, ListOf, Obj

FINGERPRINT = r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}"
# A forge login (GitHub: letters, digits, `-`; Gitea also `_` and `.`), never `.` or `..`.
LOGIN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
_SOURCE_FIELDS = Obj(
    {
        "forge": Field(
            Str(f"a forge name matching {NAME}", NAME),
            "The forges.yaml forge the key was imported from; `signers sync` follows it.",
        ),
        "user": Field(Str(f"a forge user name matching {LOGIN}", LOGIN), "The forge account."),
        "unverified": Field(
            Bool(),
            "Imported with --include-unverified: the forge had not verified the key or its "
            "e-mails. A sync keeps it while the forge lists it.",
        ),
        "gnupg": Field(
            Str("a GnuPG home directory, or default", min_length=1),
            "The GnuPG home directory the key was imported from.",
        ),
    },
    "Where the key came from (written by `gitward signers import`).",
)


class Source(Stateless):
    """`{forge, user[, unverified]}` or `{gnupg}`: one origin, named completely."""

    __slots__ = ()
    doc = _SOURCE_FIELDS.doc

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        checked = _SOURCE_FIELDS.check(value, path, out)
        if checked is INVALID or not isinstance(checked, dict):
            return INVALID
        if "forge" in checked and "gnupg" not in checked:
            if "user" in checked:
                return checked
            out.append((path, "missing required key 'user' (the forge account)"))
        elif "gnupg" in checked and not {"forge", "user", "unverified"} & set(checked):
            return checked
        else:
            out.append((path, "expected either forge and user, or gnupg alone"))
        return INVALID

    def schema(self) -> JSON:
        forge_only = {"not": {"required": ["gnupg"]}, "required": ["forge", "user"]}
        alone = [{"required": [k]} for k in ("forge", "user", "unverified")]
        gnupg_only = {"required": ["gnupg"], "not": {"anyOf": alone}}
        return {**_SOURCE_FIELDS.schema(), "oneOf": [forge_only, gnupg_only]}


_VALIDITY = {
    "not_before": Field(Date(), "The key may sign from this instant on (UTC if no zone)."),
    "not_after": Field(Date(), "The key may sign until this instant."),
    "revoked_since": Field(Date(), "The key is revoked from this instant on."),
    "source": Field(Source(), Source.doc),
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

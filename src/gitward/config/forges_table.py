"""The table of `forges.yaml`: which forges the webhook receiver serves, and how it runs.

Like the policy's table, it both validates the file and prints its JSON Schema
(`gitward config schema --forges`). Secrets are never written in the file: a secret value is
`env:NAME` or `file:/absolute/path`, read once when the receiver starts.
"""

from __future__ import annotations

from typing import NamedTuple

from gitward.config.fields import INVALID, JSON, KeyPath, Problems, expected
from gitward.config.policy_table import NAME
from gitward.config.scalars import Bool, Const, Enum, Int, Str
from gitward.config.shapes import Field, ListOf, Obj

# A pattern for references to secrets, not a secret (hence the noqa).
SECRET_REF = r"env:[A-Za-z_][A-Za-z0-9_]{0,127}|file:/[^\x00-\x1f\x7f]{1,4095}"  # noqa: S105
_SECRET = Str("env:NAME or file:/absolute/path (never the secret itself)", SECRET_REF)
URL = r"https?://[A-Za-z0-9.\[\]:-]+(:[0-9]{1,5})?(/[^\s\x00-\x1f\x7f?#]*)?"
_URL = Str("an https:// URL", URL)
# git:// only ever passes the loopback cross-check (forges_file), for tests and demos.
_GIT_URL = Str("an https:// URL", "(?:git|https?)" + URL.removeprefix("https?"))
QUEUE = r"sqlite:///[^\x00-\x1f\x7f]+|rediss?://[^\s\x00-\x1f\x7f]+"
# owner/repo globs: `*` within a name; no other metacharacters (a typo must not widen them).
REPO_GLOB = r"[A-Za-z0-9_.*-]{1,100}/[A-Za-z0-9_.*-]{1,100}"


class Secrets(NamedTuple):
    """One secret reference, or a list of up to `most` (old and new, while rotating)."""

    most: int = 2

    def check(self, value: object, path: KeyPath, out: Problems) -> object:
        if isinstance(value, str):
            checked = _SECRET.check(value, path, out)
            return INVALID if checked is INVALID else (checked,)
        if isinstance(value, list) and 1 <= len(value) <= self.most:
            items = [_SECRET.check(v, (*path, i), out) for i, v in enumerate(value)]
            return INVALID if INVALID in items else tuple(items)
        return expected(out, path, f"a secret reference or a list of 1 to {self.most}", value)

    def schema(self) -> JSON:
        one = _SECRET.schema()
        return {"oneOf": [one, {"type": "array", "items": one, "minItems": 1, "maxItems": 2}]}


APP = Obj(
    {
        "id": Field(Int(1), "The GitHub App's id.", required=True),
        "private_key": Field(_SECRET, "The App's private key (PEM).", required=True),
    },
    "GitHub App authentication: check runs, and a required check nobody can forge.",
)

FORGE = Obj(
    {
        "name": Field(
            Str(f"a name matching {NAME}", NAME),
            "Instance name; its webhook URL is POST /webhooks/<name>.",
            required=True,
        ),
        "type": Field(Enum(("github", "gitea")), "github, or gitea (Forgejo too).", required=True),
        "api_url": Field(
            _URL,
            "REST API root, e.g. https://api.github.com or https://git.example.com/api/v1.",
            required=True,
        ),
        "git_url": Field(_GIT_URL, "Clone URL root: <git_url>/<owner>/<repo>.git.", required=True),
        "webhook_secret": Field(
            Secrets(),
            "The webhook secret; two while rotating (both are accepted).",
            required=True,
        ),
        "token": Field(_SECRET, "A token allowed to write commit statuses (or use app)."),
        "app": Field(APP, APP.doc),
        "repositories": Field(
            ListOf(Str("an owner/repo glob", REPO_GLOB), 1, "a list of owner/repo globs"),
            "owner/repo globs this instance serves; deliveries for others are refused (403).",
            required=True,
        ),
    },
    "One forge instance the receiver accepts webhooks from and posts statuses to.",
)

RECEIVER = Obj(
    {
        "queue": Field(
            Str("sqlite:///path or redis://host:port/db", QUEUE),
            "Job queue: SQLite (embedded, the default) or Redis (several hosts).",
        ),
        "data_dir": Field(
            Str("a directory path", min_length=1),
            "Mirrors and job records; relative to forges.yaml's directory.",
            default="receiver",
        ),
        "public_url": Field(_URL, "Base URL of the reports linked from statuses."),
        "status_context": Field(
            Str(f"a name matching {NAME}", NAME), "The status context.", default="gitward"
        ),
        "allow_insecure_loopback": Field(
            Bool(), "Allow http:// and git:// to 127.0.0.1/::1 (tests, demos).", default=False
        ),
        "max_body_bytes": Field(
            Int(1), "Largest webhook body accepted (413 above).", default=25 * 1024 * 1024
        ),
    },
    "How the receiver runs.",
)

FORGES = Obj(
    {
        "version": Field(Const(1), "Format version; 1.", default=1),
        "receiver": Field(RECEIVER, RECEIVER.doc),
        "forges": Field(
            ListOf(FORGE, 1, "a list of forges"), "The forge instances.", required=True
        ),
    },
    "gitward receiver's forges.yaml.",
)

"""The table of `admin.yaml`: who may sign in to the admin pages (`/admin`) and how.

Without the file the receiver serves no admin page. Secrets are references (`env:NAME`,
`file:/absolute/path`) read once when the receiver starts, like forges.yaml's.
"""

from __future__ import annotations

from gitward.config.forges_table import SECRET_REF, URL
from gitward.config.policy_table import NAME
from gitward.config.scalars import Bool, Const, Enum, Int, Str
from gitward.config.shapes import Field, ListOf, Obj

_SECRET = Str("env:NAME or file:/absolute/path (never the secret itself)", SECRET_REF)
_URL = Str("an https:// URL", URL)
LOGIN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
TEAM = LOGIN + "/" + LOGIN

ADMINS = Obj(
    {
        "users": Field(
            ListOf(Str(f"a forge login matching {LOGIN}", LOGIN)), "Forge logins that are admins."
        ),
        "orgs": Field(
            ListOf(Str(f"an organization matching {LOGIN}", LOGIN)),
            "Every member of these organizations is an admin.",
        ),
        "teams": Field(
            ListOf(Str(f"org/team matching {TEAM}", TEAM)),
            "Every member of these teams (org/team-slug) is an admin.",
        ),
    },
    "Who is an admin: a login named here, or a member of a named organization or team.",
    one_of_required=("users", "orgs", "teams"),
)

OAUTH = Obj(
    {
        "name": Field(
            Str(f"a name matching {NAME}", NAME),
            "Sign-in button text; the callback is <public_url>/admin/oauth/<name>/callback.",
            required=True,
        ),
        "type": Field(Enum(("github", "gitea")), "github, or gitea (Forgejo too).", required=True),
        "url": Field(
            _URL, "The forge's web root, e.g. https://github.com (sign-in pages).", required=True
        ),
        "api_url": Field(
            _URL,
            "REST API root, e.g. https://api.github.com or https://git.example.com/api/v1.",
            required=True,
        ),
        "client_id": Field(
            Str("the OAuth application's client id", r"[A-Za-z0-9._-]{1,200}"),
            "The OAuth application's client id.",
            required=True,
        ),
        "client_secret": Field(_SECRET, "The OAuth application's client secret.", required=True),
        "admins": Field(ADMINS, ADMINS.doc, required=True),
    },
    "Sign-in with a forge (an OAuth2 application registered on it).",
)

LOCAL = Obj(
    {
        "password_file": Field(
            Str("a file path", min_length=1),
            "Local admins and their argon2 password hashes, written by `gitward admin passwd`; "
            "relative to admin.yaml's directory.",
            required=True,
        ),
    },
    "Local admin accounts, for installations without a forge.",
)

SESSION = Obj(
    {
        "secret": Field(_SECRET, "Signs the session cookies (32 bytes or more).", required=True),
        "lifetime_minutes": Field(Int(1), "A session ends this long after sign-in.", default=480),
    },
    "Admin sessions: signed, Secure, HttpOnly, SameSite=Lax cookies.",
)

RATE_LIMIT = Obj(
    {
        "attempts": Field(Int(1), "Sign-in attempts allowed per window.", default=5),
        "window_seconds": Field(Int(1), "The window, in seconds.", default=300),
    },
    "Sign-in attempts per client address and per login (429 above).",
)

ADMIN = Obj(
    {
        "version": Field(Const(1), "Format version; 1.", default=1),
        "public_url": Field(
            _URL, "Where admins reach the receiver (OAuth callbacks go there).", required=True
        ),
        "session": Field(SESSION, SESSION.doc, required=True),
        "login_rate_limit": Field(RATE_LIMIT, RATE_LIMIT.doc),
        "local": Field(LOCAL, LOCAL.doc),
        "oauth": Field(ListOf(OAUTH, 1, "a list of forges"), "Sign-in with these forges."),
        "allow_insecure_loopback": Field(
            Bool(), "Allow http:// to 127.0.0.1/::1 (tests, demos).", default=False
        ),
    },
    "gitward receiver's admin.yaml: the admin pages.",
    one_of_required=("local", "oauth"),
)

"""Load `admin.yaml` (beside the policy file) into frozen values, all or nothing.

No file: no admin pages (`load` returns None). Every problem is reported as
`FILE:LINE: key.path: expected ...`; secrets stay references until the receiver starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from gitward.config.admin_table import ADMIN
from gitward.config.checked_file import read_checked
from gitward.config.fields import Problems
from gitward.config.forges_file import _url_problem as url_problem  # one rule for URLs

FILE_NAME = "admin.yaml"


class OAuthForge(NamedTuple):
    name: str
    type: str  # "github" | "gitea"
    url: str  # web root, without a trailing slash
    api_url: str  # without a trailing slash
    client_id: str
    client_secret: str  # a secret reference
    users: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()  # "org/team-slug"


class AdminConfig(NamedTuple):
    path: Path
    public_url: str  # without a trailing slash
    session_secret: str  # a secret reference
    session_minutes: int = 480
    attempts: int = 5
    window_seconds: int = 300
    password_file: Path | None = None  # absolute; None: no local accounts
    oauth: tuple[OAuthForge, ...] = ()

    def forge(self, name: str) -> OAuthForge | None:
        return next((f for f in self.oauth if f.name == name), None)


def path_for(config: str | Path) -> Path:
    """admin.yaml for a config directory or a policy file path."""
    chosen = Path(config)
    return chosen / FILE_NAME if chosen.is_dir() else chosen.parent / FILE_NAME


def load(path: str | Path) -> AdminConfig | None:
    """Read and validate `path`; None when it does not exist (admin pages off). Raises
    ConfigError listing every problem."""
    file = Path(path)
    if not file.exists():
        return None
    return _build(file, read_checked(file, ADMIN, "the admin file", _cross_check))


def _cross_check(doc: dict[str, Any], out: Problems) -> None:
    loopback_ok = doc.get("allow_insecure_loopback", False)
    problem = url_problem(doc["public_url"], loopback_ok)
    if problem:
        out.append((("public_url",), problem))
    seen: set[str] = set()
    for i, forge in enumerate(doc.get("oauth", ())):
        if forge["name"] in seen:
            out.append((("oauth", i, "name"), f"expected a unique name, {forge['name']!r} repeats"))
        seen.add(forge["name"])
        for key in ("url", "api_url"):
            problem = url_problem(forge[key], loopback_ok)
            if problem:
                out.append((("oauth", i, key), problem))


def _build(file: Path, doc: dict[str, Any]) -> AdminConfig:
    limit = doc.get("login_rate_limit", {})
    local = doc.get("local")
    return AdminConfig(
        path=file,
        public_url=doc["public_url"].rstrip("/"),
        session_secret=doc["session"]["secret"],
        session_minutes=doc["session"].get("lifetime_minutes", 480),
        attempts=limit.get("attempts", 5),
        window_seconds=limit.get("window_seconds", 300),
        password_file=(file.parent / local["password_file"]).absolute() if local else None,
        oauth=tuple(
            OAuthForge(
                name=f["name"],
                type=f["type"],
                url=f["url"].rstrip("/"),
                api_url=f["api_url"].rstrip("/"),
                client_id=f["client_id"],
                client_secret=f["client_secret"],
                users=f["admins"].get("users", ()),
                orgs=f["admins"].get("orgs", ()),
                teams=f["admins"].get("teams", ()),
            )
            for f in doc.get("oauth", ())
        ),
    )

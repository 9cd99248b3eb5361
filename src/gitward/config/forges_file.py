"""Load `forges.yaml` (beside the policy file) into frozen values, all or nothing.

Every problem is reported as `FILE:LINE: key.path: expected ...`, like the policy's. Secrets
stay references here (`env:NAME`, `file:/path`); `secrets.read` resolves them once, when the
receiver starts, so a value never sits in a config object that could be logged.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from gitward.config.checked_file import read_checked
from gitward.config.fields import Problems
from gitward.config.forges_table import FORGES

FILE_NAME = "forges.yaml"


class AppAuth(NamedTuple):
    app_id: int
    private_key: str  # a secret reference


class ForgeInstance(NamedTuple):
    name: str
    type: str  # "github" | "gitea"
    api_url: str  # without a trailing slash
    git_url: str  # without a trailing slash
    webhook_secrets: tuple[str, ...]  # secret references
    repositories: tuple[str, ...]  # owner/repo globs
    token: str | None = None  # a secret reference
    app: AppAuth | None = None

    def serves(self, repository: str) -> bool:
        """Whether `repository` ("owner/name", already validated) matches a glob; `*` never
        crosses the slash."""
        owner, _, name = repository.partition("/")
        for glob in self.repositories:
            g_owner, _, g_name = glob.partition("/")
            if fnmatch.fnmatchcase(owner, g_owner) and fnmatch.fnmatchcase(name, g_name):
                return True
        return False

    def clone_url(self, repository: str) -> str:
        return f"{self.git_url}/{repository}.git"


class ReceiverSettings(NamedTuple):
    queue: str  # sqlite:///ABSOLUTE or redis://...
    data_dir: Path
    public_url: str | None = None
    status_context: str = "gitward"
    allow_insecure_loopback: bool = False
    max_body_bytes: int = 25 * 1024 * 1024


class ForgesConfig(NamedTuple):
    path: Path
    receiver: ReceiverSettings
    forges: tuple[ForgeInstance, ...]

    def forge(self, name: str) -> ForgeInstance | None:
        for forge in self.forges:
            if forge.name == name:
                return forge
        return None


def path_for(config: str | Path) -> Path:
    """forges.yaml for a config directory or a policy file path."""
    chosen = Path(config)
    return chosen / FILE_NAME if chosen.is_dir() else chosen.parent / FILE_NAME


def load(path: str | Path) -> ForgesConfig:
    """Read and validate `path` (a forges.yaml); raises ConfigError listing every problem."""
    file = Path(path)
    return _build(file, read_checked(file, FORGES, "the forges file", _cross_check))


def _cross_check(doc: dict[str, Any], out: Problems) -> None:
    loopback_ok = doc.get("receiver", {}).get("allow_insecure_loopback", False)
    seen: set[str] = set()
    for i, forge in enumerate(doc["forges"]):
        if forge["name"] in seen:
            out.append(
                (("forges", i, "name"), f"expected a unique name, {forge['name']!r} repeats")
            )
        seen.add(forge["name"])
        if ("token" in forge) == ("app" in forge):
            out.append((("forges", i), "expected exactly one of token and app"))
        if "app" in forge and forge["type"] != "github":
            out.append((("forges", i, "app"), "expected app only for type github"))
        for key in ("api_url", "git_url"):
            problem = _url_problem(forge[key], loopback_ok)
            if problem:
                out.append((("forges", i, key), problem))
    public = doc.get("receiver", {}).get("public_url")
    if public:
        problem = _url_problem(public, loopback_ok)
        if problem:
            out.append((("receiver", "public_url"), problem))


def _url_problem(url: str, loopback_ok: bool) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return None
    host = (parts.hostname or "").strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback_ok and loopback:
        return None
    if loopback:
        return (
            f"expected an https:// URL ({parts.scheme}:// to loopback needs "
            "receiver.allow_insecure_loopback: true)"
        )
    return f"expected an https:// URL, got {parts.scheme}://"


def _build(file: Path, doc: dict[str, Any]) -> ForgesConfig:
    base = file.parent
    raw = doc.get("receiver", {})
    data_dir = (base / raw.get("data_dir", "receiver")).absolute()
    queue = raw.get("queue") or f"sqlite:///{data_dir / 'queue.db'}"
    receiver = ReceiverSettings(
        queue=queue,
        data_dir=data_dir,
        public_url=raw["public_url"].rstrip("/") if raw.get("public_url") else None,
        status_context=raw.get("status_context", "gitward"),
        allow_insecure_loopback=raw.get("allow_insecure_loopback", False),
        max_body_bytes=raw.get("max_body_bytes", 25 * 1024 * 1024),
    )
    forges = tuple(
        ForgeInstance(
            name=f["name"],
            type=f["type"],
            api_url=f["api_url"].rstrip("/"),
            git_url=f["git_url"].rstrip("/"),
            webhook_secrets=f["webhook_secret"],
            repositories=f["repositories"],
            token=f.get("token"),
            app=AppAuth(f["app"]["id"], f["app"]["private_key"]) if "app" in f else None,
        )
        for f in doc["forges"]
    )
    return ForgesConfig(file, receiver, forges)

"""GitHub App mode: the app's own JWT, installation tokens, and check runs.

An App authenticates as itself with a short RS256 JWT (`iss` its id, `iat` a minute in the
past against clock drift, `exp` nine minutes ahead: GitHub takes at most ten), finds the
installation on a repository (apps/get-repo-installation) and exchanges the JWT for that
installation's token (apps/create-installation-access-token). Tokens last an hour; they are
cached per installation and renewed five minutes before they expire, or at once when GitHub
refuses one (401). Check runs need an App: with one, the required check can be bound to it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from gitward.config import secrets
from gitward.config.forges_file import ForgeInstance
from gitward.errors import ConfigError
from gitward.forges import checks
from gitward.forges.status import CommitStatus, Request
from gitward.model import Violation
from gitward.receiver.forge_client import ForgeClient, ForgeError, header_safe

LOG = logging.getLogger("gitward.receiver.forge")
JWT_BACKDATE = 60  # seconds: GitHub's clocks and ours may disagree
JWT_LIFETIME = 540  # seconds after now (600 after iat: GitHub's limit)
RENEW_BEFORE = 300  # seconds before an installation token's expiry


class GitHubApp:
    """A `TokenSource` for a GitHub App: installation tokens for calls about a repository."""

    def __init__(
        self, app_id: int, private_key: bytes, *, now: Callable[[], float] = time.time
    ) -> None:
        """`private_key`: the App's PEM RSA key. Raises ValueError (never quoting it) when it is
        not one."""
        try:
            key = load_pem_private_key(private_key, password=None)
        except (ValueError, TypeError):
            raise ValueError("not a PEM private key without a passphrase") from None
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("a GitHub App key is an RSA key")
        self.app_id, self._key, self._now = app_id, key, now
        self._lock = threading.Lock()
        self._jwt: tuple[str, float] | None = None  # (token, expires at)
        self._installations: dict[str, int] = {}  # repository -> installation id
        self._tokens: dict[int, tuple[str, float]] = {}  # installation id -> (token, expiry)

    def jwt(self) -> str:
        """The App's own token (reused until a minute before it expires)."""
        now = self._now()
        with self._lock:
            if self._jwt is None or self._jwt[1] - 60 <= now:
                claims = {
                    "iat": int(now) - JWT_BACKDATE,
                    "exp": int(now) + JWT_LIFETIME,
                    "iss": str(self.app_id),
                }
                self._jwt = (jwt.encode(claims, self._key, algorithm="RS256"), now + JWT_LIFETIME)
            return self._jwt[0]

    def token(self, client: ForgeClient, repository: str | None) -> str:
        """The installation token for `repository` (the App's JWT for calls about none)."""
        if repository is None:
            return self.jwt()
        installation = self.installation(client, repository)
        with self._lock:
            cached = self._tokens.get(installation)
        if cached is not None and cached[1] - RENEW_BEFORE > self._now():
            return cached[0]
        reply = client.call(
            Request("POST", f"/app/installations/{installation}/access_tokens", {}),
            token=self.jwt(),
        )
        body: Any = reply.json
        if not isinstance(body, Mapping) or not isinstance(body.get("token"), str):
            raise ForgeError(f"{client.forge.name}: GitHub sent no installation token")
        value = header_safe(body["token"])
        expires = _epoch(body.get("expires_at"), self._now() + 3600)
        with self._lock:
            self._tokens[installation] = (value, expires)
        LOG.info("%s: new token for installation %d", client.forge.name, installation)
        return value

    def installation(self, client: ForgeClient, repository: str) -> int:
        """The id of the App's installation on `repository` (cached)."""
        with self._lock:
            known = self._installations.get(repository)
        if known is not None:
            return known
        try:
            reply = client.call(
                Request("GET", f"/repos/{repository}/installation"), token=self.jwt()
            )
        except ForgeError as exc:
            if exc.status == 404:
                raise ForgeError(
                    f"{client.forge.name}: the GitHub App is not installed on {repository}", 404
                ) from None
            raise
        found = reply.json.get("id") if isinstance(reply.json, Mapping) else None
        if not isinstance(found, int) or isinstance(found, bool):
            raise ForgeError(f"{client.forge.name}: GitHub named no installation for {repository}")
        with self._lock:
            self._installations[repository] = found
        return found

    def forget(self, repository: str | None) -> None:
        """GitHub refused a token for `repository`: ask for the installation and a token again."""
        with self._lock:
            if repository is None:
                self._jwt = None
                return
            installation = self._installations.pop(repository, None)
            if installation is not None:
                self._tokens.pop(installation, None)


def connect(
    forge: ForgeInstance, environ: Mapping[str, str] | None = None, **options: Any
) -> ForgeClient:
    """A client for `forge` with its credentials read now (its token, or its App's key);
    `options` go to `ForgeClient`. Raises ConfigError naming the secret's reference."""
    if forge.app is not None:
        reference = forge.app.private_key
        try:
            app = GitHubApp(forge.app.app_id, secrets.read(reference, environ))
        except ValueError as exc:
            raise ConfigError([f"secret {reference}: {exc}"]) from None
        return ForgeClient(forge, app, **options)
    if forge.token is None:
        raise ConfigError([f"forge {forge.name} has neither token nor app"])
    try:
        token = secrets.read(forge.token, environ).decode("ascii")
        return ForgeClient(forge, header_safe(token), **options)
    except (UnicodeDecodeError, ForgeError):
        raise ConfigError([f"secret {forge.token}: not a usable token"]) from None


def start_check_run(
    client: ForgeClient, repository: str, sha: str, name: str, details_url: str | None = None
) -> int:
    """Create an in-progress check run `name` on `sha`; its id. A re-run click
    (`rerequested`) asks for exactly this again: a new run supersedes the old one."""
    reply = client.call(checks.create_request(repository, sha, name, details_url))
    run = reply.json.get("id") if isinstance(reply.json, Mapping) else None
    if not isinstance(run, int) or isinstance(run, bool):
        raise ForgeError(f"{client.forge.name}: GitHub created a check run without an id")
    return run


def complete_check_run(
    client: ForgeClient,
    repository: str,
    run_id: int,
    status: CommitStatus,
    violations: Sequence[Violation],
) -> None:
    """Complete run `run_id` with `status`'s conclusion and annotate `violations`."""
    for request in checks.complete_requests(repository, run_id, status, violations):
        client.call(request)


def _epoch(value: object, default: float) -> float:
    """An ISO 8601 time (`2016-07-11T22:14:10Z`) as epoch seconds."""
    if not isinstance(value, str):
        return default
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return default

"""Sign-in with a forge: OAuth2 authorization code flow (with PKCE) on GitHub or Gitea, then who
the user is and whether config makes them an admin.

URL builders are pure; the HTTP session is passed in. The user's token is used during the
callback only and never stored.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import quote, urlencode

import requests

from gitward.config.admin_file import OAuthForge
from gitward.errors import GitwardError

TIMEOUT = 10.0
PAGES = 10  # at most this many pages of 50 organizations or teams are read
GITHUB_SCOPE = "read:org"  # to see the user's organization and team memberships


class OAuthError(GitwardError):
    """The forge refused or failed the sign-in."""


def new_verifier() -> str:
    """A PKCE code verifier (RFC 7636: 43-128 unreserved characters)."""
    return secrets.token_urlsafe(48)


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(forge: OAuthForge, redirect_uri: str, state: str, verifier: str) -> str:
    """Where the browser goes to sign in on the forge."""
    query = {
        "client_id": forge.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
    }
    if forge.type == "github":
        query["scope"] = GITHUB_SCOPE
    return f"{forge.url}/login/oauth/authorize?{urlencode(query)}"


def exchange(
    http: requests.Session,
    forge: OAuthForge,
    client_secret: bytes,
    code: str,
    redirect_uri: str,
    verifier: str,
) -> str:
    """The access token for `code`; raises OAuthError."""
    form = {
        "grant_type": "authorization_code",
        "client_id": forge.client_id,
        "client_secret": client_secret.decode("utf-8"),
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    answer = _call(
        http, "POST", f"{forge.url}/login/oauth/access_token", data=form, what="token exchange"
    )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise OAuthError(f"{forge.name}: the forge gave no access token")
    return token


def login_of(http: requests.Session, forge: OAuthForge, token: str) -> str:
    """The signed-in user's login."""
    user = _call(http, "GET", f"{forge.api_url}/user", token=token, what="user lookup")
    login = user.get("login") if isinstance(user, dict) else None
    if not isinstance(login, str) or not login:
        raise OAuthError(f"{forge.name}: the forge did not say who signed in")
    return login


def is_admin(http: requests.Session, forge: OAuthForge, token: str, login: str) -> bool:
    """Whether config names `login`, or an organization or team it is a member of."""
    if login.lower() in {u.lower() for u in forge.users}:
        return True
    if not (forge.orgs or forge.teams):
        return False
    if forge.type == "github":
        return _github_member(http, forge, token, login)
    return _gitea_member(http, forge, token)


def _github_member(http: requests.Session, forge: OAuthForge, token: str, login: str) -> bool:
    for org in forge.orgs:
        url = f"{forge.api_url}/user/memberships/orgs/{quote(org, safe='')}"
        if _active(_call(http, "GET", url, token=token, what="membership", missing=True)):
            return True
    for team in forge.teams:
        org, _, slug = team.partition("/")
        url = (
            f"{forge.api_url}/orgs/{quote(org, safe='')}/teams/{quote(slug, safe='')}"
            f"/memberships/{quote(login, safe='')}"
        )
        if _active(_call(http, "GET", url, token=token, what="membership", missing=True)):
            return True
    return False


def _active(answer: Any) -> bool:
    return isinstance(answer, dict) and answer.get("state") == "active"


def _gitea_member(http: requests.Session, forge: OAuthForge, token: str) -> bool:
    if forge.orgs:
        orgs = {str(o.get("username", "")).lower() for o in _pages(http, forge, "orgs", token)}
        if orgs & {o.lower() for o in forge.orgs}:
            return True
    if forge.teams:
        teams = {
            f"{(t.get('organization') or {}).get('username', '')}/{t.get('name', '')}".lower()
            for t in _pages(http, forge, "teams", token)
        }
        if teams & {t.lower() for t in forge.teams}:
            return True
    return False


def _pages(
    http: requests.Session, forge: OAuthForge, what: str, token: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in range(1, PAGES + 1):
        url = f"{forge.api_url}/user/{what}?page={page}&limit=50"
        items = _call(http, "GET", url, token=token, what=what)
        if not isinstance(items, list):
            raise OAuthError(f"{forge.name}: unexpected answer listing the user's {what}")
        found += [i for i in items if isinstance(i, dict)]
        if len(items) < 50:
            break
    return found


def _call(
    http: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    token: str | None = None,
    data: dict[str, str] | None = None,
    missing: bool = False,
) -> Any:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = http.request(method, url, headers=headers, data=data, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise OAuthError(
            f"the forge could not be reached for the {what}: {type(exc).__name__}"
        ) from None
    if missing and response.status_code == 404:
        return None
    if response.status_code != 200:
        raise OAuthError(f"the forge answered {response.status_code} to the {what}")
    try:
        return response.json()
    except ValueError:
        raise OAuthError(f"the forge's answer to the {what} is not JSON") from None

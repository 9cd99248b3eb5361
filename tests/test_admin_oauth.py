"""Sign-in with a forge (OAuth2 with PKCE) against Gitea and GitHub doubles: who is an admin by
login, organization or team, and every way a sign-in fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import gwadmin
import gwforge
import gwoauth
import pytest
import requests
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer

from gitward.admin import oauth
from gitward.config.admin_file import OAuthForge

ORG_MEMBERSHIP = "GET /user/memberships/orgs/{org}"  # not in the fixtures' GitHub subset


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    with gwforge.serve() as s:
        yield s


@pytest.fixture
def cfg(tmp_path: Path, server: HTTPServer) -> Path:
    return gwadmin.write_config(tmp_path / "cfg", forge_url=gwoauth.forge_root(server))


def sign_in(c: FlaskClient, name: str) -> tuple[int, str]:
    """Start at the sign-in button, let the forge approve, follow its redirect back."""
    start = c.get(f"/admin/oauth/{name}")
    assert start.status_code == 302
    forge = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(forge.headers["Location"])
    assert back.path == f"/admin/oauth/{name}/callback"
    answer = c.get(f"{back.path}?{back.query}")
    return answer.status_code, answer.get_data(as_text=True)


def test_a_gitea_user_named_in_config_signs_in_and_edits_under_their_login(
    cfg: Path, server: HTTPServer
) -> None:
    api, pages = gwoauth.forge(server, "gitea", "oauth-secret")
    api.on("GET", "/user", gwforge.Answer(json={"login": "alice", "id": 1}))
    c = gwadmin.client(gwadmin.app(cfg))
    status, _ = sign_in(c, "tea")
    assert status == 302
    [form] = pages.token_requests
    assert form["client_id"] == "gitward-admin"
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == "http://127.0.0.1:9/admin/oauth/tea/callback"
    [user] = api.sent("GET", "/user")
    assert user.headers["Authorization"] == f"Bearer {gwoauth.TOKEN}"
    html = c.get("/admin/signers/bob").get_data(as_text=True)
    assert "tea:alice" in html
    c.post(
        "/admin/signers/bob/groups",
        data={"csrf": gwadmin.csrf(html), "version": gwadmin.version(html), "groups": "releasers"},
    )
    last = json.loads((cfg / "audit.jsonl").read_text().splitlines()[-1])
    assert (last["event"], last["actor"]) == ("signers.groups", "tea:alice")


def test_a_gitea_team_member_is_an_admin_and_others_are_not(cfg: Path, server: HTTPServer) -> None:
    api, _ = gwoauth.forge(server, "gitea", "oauth-secret")
    api.on("GET", "/user", gwforge.Answer(json={"login": "carol"}))
    team = {"id": 3, "name": "security", "organization": {"username": "acme"}}
    api.on("GET", "/user/teams", gwforge.Answer(json=[team]))
    c = gwadmin.client(gwadmin.app(cfg))
    assert sign_in(c, "tea")[0] == 302
    assert api.sent("GET", "/user/teams")[0].query == {"page": "1", "limit": "50"}
    assert c.get("/admin/signers").status_code == 200

    api.on("GET", "/user", gwforge.Answer(json={"login": "eve"}))
    api.on("GET", "/user/teams", gwforge.Answer(json=[{**team, "name": "devs"}]))
    c = gwadmin.client(gwadmin.app(cfg))
    status, html = sign_in(c, "tea")
    assert status == 403
    assert "eve on tea is not an admin here." in html
    assert c.get("/admin/signers").status_code == 302
    assert api.problems == []


def test_github_org_and_team_members_are_admins(cfg: Path, server: HTTPServer) -> None:
    api, _ = gwoauth.forge(server, "github", "oauth-secret", frozenset({ORG_MEMBERSHIP}))
    api.on("GET", "/user", gwforge.Answer(json={"login": "octo"}))
    api.on("GET", "/user/memberships/orgs/acme", gwforge.Answer(json={"state": "active"}))
    c = gwadmin.client(gwadmin.app(cfg))
    start = c.get("/admin/oauth/gh")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["scope"] == ["read:org"]
    assert query["code_challenge_method"] == ["S256"]
    assert sign_in(c, "gh")[0] == 302

    api.on("GET", "/user/memberships/orgs/acme", gwforge.Answer(404, {"message": "Not Found"}))
    api.on(
        "GET",
        "/orgs/acme/teams/security/memberships/octo",
        gwforge.Answer(json={"state": "active", "role": "member"}),
    )
    assert sign_in(gwadmin.client(gwadmin.app(cfg)), "gh")[0] == 302

    api.on(
        "GET",
        "/orgs/acme/teams/security/memberships/octo",
        gwforge.Answer(json={"state": "pending"}),
    )
    assert sign_in(gwadmin.client(gwadmin.app(cfg)), "gh")[0] == 403
    assert api.problems == []


def test_a_callback_that_did_not_start_here_is_refused(cfg: Path, server: HTTPServer) -> None:
    gwoauth.forge(server, "gitea", "oauth-secret")
    c = gwadmin.client(gwadmin.app(cfg))
    answer = c.get("/admin/oauth/tea/callback?code=x&state=y")
    assert answer.status_code == 400
    assert "did not start here" in answer.get_data(as_text=True)
    c.get("/admin/oauth/tea")
    assert c.get("/admin/oauth/tea/callback?code=x&state=forged").status_code == 400
    assert c.get("/admin/oauth/nope").status_code == 404
    assert c.get("/admin/oauth/nope/callback").status_code == 404


def test_a_refusal_or_failure_at_the_forge_signs_nobody_in(cfg: Path, server: HTTPServer) -> None:
    api, pages = gwoauth.forge(server, "gitea", "another-secret")  # config has oauth-secret
    c = gwadmin.client(gwadmin.app(cfg))
    status, html = sign_in(c, "tea")
    assert status == 502
    assert "Sign-in with tea failed: the forge answered 400 to the token exchange." in html
    pages.client_secret = "oauth-secret"
    pages.approve = False
    status, html = sign_in(c, "tea")
    assert status == 401
    assert "access_denied" in html
    pages.approve = True
    api.on("GET", "/user", gwforge.Answer(text="<html>proxy error</html>"))
    assert sign_in(c, "tea")[0] == 502
    assert c.get("/admin/signers").status_code == 302


def test_oauth_callbacks_are_rate_limited(tmp_path: Path, server: HTTPServer) -> None:
    cfg = gwadmin.write_config(
        tmp_path / "cfg", forge_url=gwoauth.forge_root(server), attempts=2, signers=False
    )
    c = gwadmin.client(gwadmin.app(cfg))
    codes = [c.get("/admin/oauth/tea/callback?state=x").status_code for _ in range(3)]
    assert codes == [400, 400, 429]


class Session(requests.Session):
    """Answers every request with `status` and `body` (no network)."""

    def __init__(self, status: int, body: object, error: bool = False) -> None:
        super().__init__()
        self.status, self.body, self.error = status, body, error

    def request(
        self, method: str | bytes, url: str | bytes, *a: object, **k: object
    ) -> requests.Response:
        if self.error:
            raise requests.ConnectionError("refused")
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.body).encode()
        return response


FORGE = OAuthForge("f", "gitea", "https://f", "https://f/api/v1", "id", "env:X", orgs=("acme",))


@pytest.mark.parametrize(
    ("http", "message"),
    [
        (Session(200, {}, error=True), "could not be reached for the token exchange"),
        (Session(200, {"token_type": "bearer"}), "gave no access token"),
        (Session(200, ["not", "a", "mapping"]), "gave no access token"),
    ],
)
def test_token_exchange_failures(http: Session, message: str) -> None:
    with pytest.raises(oauth.OAuthError, match=message):
        oauth.exchange(http, FORGE, b"s", "code", "https://r", "v")


def test_lookups_that_say_nothing_useful_are_failures() -> None:
    with pytest.raises(oauth.OAuthError, match="did not say who signed in"):
        oauth.login_of(Session(200, {"id": 1}), FORGE, "t")
    with pytest.raises(oauth.OAuthError, match="unexpected answer listing"):
        oauth.is_admin(Session(200, {"not": "a list"}), FORGE, "t", "eve")
    assert oauth.is_admin(Session(200, [{"username": "ACME"}]), FORGE, "t", "eve")
    nobody = FORGE._replace(orgs=())
    assert not oauth.is_admin(Session(500, None), nobody, "t", "eve")
    assert not oauth.is_admin(Session(200, []), FORGE._replace(teams=("a/b",)), "t", "eve")

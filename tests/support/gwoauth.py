"""A forge's OAuth2 sign-in pages beside its API double (`gwforge`): /login/oauth/authorize
approves at once (redirects back with a code), /login/oauth/access_token trades the code for a
token, checking the client secret and the PKCE verifier as a forge does."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import urlencode

import gwapi
import gwforge
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "user-token-1234"  # a throwaway value for tests only


class OAuthPages:
    def __init__(self, client_secret: str) -> None:
        self.client_secret = client_secret
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.approve = True

    def authorize(self, request: Request) -> Response:
        args = request.args
        if not self.approve:
            query = urlencode({"error": "access_denied", "state": args["state"]})
            target = f"{args['redirect_uri']}?{query}"
            return Response(status=302, headers={"Location": target})
        code = secrets.token_urlsafe(8)
        self.codes[code] = dict(args)
        query = urlencode({"code": code, "state": args["state"]})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def access_token(self, request: Request) -> Response:
        form = dict(request.form)
        self.token_requests.append(form)
        asked = self.codes.pop(form.get("code", ""), None)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        ok = (
            asked is not None
            and form.get("client_secret") == self.client_secret
            and form.get("redirect_uri") == asked["redirect_uri"]
            and asked.get("code_challenge") == challenge
        )
        body: dict[str, Any] = (
            {"access_token": TOKEN, "token_type": "bearer"}
            if ok
            else {"error": "bad_verification_code"}
        )
        return Response(json.dumps(body), 200 if ok else 400, content_type="application/json")


def forge(
    server: HTTPServer, kind: str, client_secret: str, undescribed: frozenset[str] = frozenset()
) -> tuple[gwforge.ForgeDouble, OAuthPages]:
    """An API double of `kind` ("github" or "gitea") and its sign-in pages on `server`."""
    server.clear()
    pages = OAuthPages(client_secret)
    server.expect_request("/login/oauth/authorize").respond_with_handler(pages.authorize)
    server.expect_request("/login/oauth/access_token", method="POST").respond_with_handler(
        pages.access_token
    )
    which, prefix = (
        (gwapi.GITHUB, gwforge.GITHUB_PREFIX)
        if kind == "github"
        else (gwapi.GITEA, gwforge.GITEA_PREFIX)
    )
    return gwforge.ForgeDouble(server, which, prefix, undescribed), pages


def forge_root(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")

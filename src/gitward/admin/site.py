"""The admin blueprint, what its views share (`State`), and the guards every request passes:
signed in (else to the sign-in page), a CSRF token on every POST, strict response headers."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from flask import Blueprint, Response, abort, current_app, redirect, request, session, url_for

from gitward.admin.limits import Limiter
from gitward.config.admin_file import AdminConfig

if TYPE_CHECKING:
    from gitward.signers.importing import ForgeKeys

BP = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
PUBLIC = {"admin.login", "admin.login_post", "admin.oauth_start", "admin.oauth_callback"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class FinishedJobs(Protocol):
    """The receiver's job store, as far as the decisions page reads it."""

    def finished_since(self, since: float, limit: int) -> list[Any]: ...


class State(NamedTuple):
    config: AdminConfig
    policy: Path  # the policy file
    client_secrets: Mapping[str, bytes]  # OAuth forge name -> client secret
    limiter: Limiter
    jobs: FinishedJobs | None
    http: Callable[[], Any]  # a requests.Session factory (tests point it at a double)
    # forges.yaml name -> a reader of users' keys, or why it has none (the import form)
    forge_keys: Mapping[str, ForgeKeys | str] = MappingProxyType({})


def state() -> State:
    found: State = current_app.extensions["gitward.admin"]
    return found


def user() -> str | None:
    """The signed-in admin ("<forge>:<login>" or "local:<login>"), if the session is live."""
    who = session.get("user")
    since = session.get("since", 0)
    if not isinstance(who, str) or not isinstance(since, int | float):
        return None
    if time.time() - since > state().config.session_minutes * 60:
        return None
    return who


def csrf_token() -> str:
    """This session's CSRF token (made on first use); every form carries it."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def start_session(who: str) -> None:
    """A fresh session for `who` (nothing of the signed-out one carries over)."""
    session.clear()
    session.permanent = True
    session["user"] = who
    session["since"] = int(time.time())
    csrf_token()


@BP.before_request
def guard() -> Response | None:
    if request.endpoint == "admin.static":
        return None
    if request.method == "POST":
        sent = request.form.get("csrf", "")
        token = session.get("csrf")
        if not isinstance(token, str) or not hmac.compare_digest(sent.encode(), token.encode()):
            abort(400, "the form's CSRF token is missing or wrong: reload the page and retry")
    if request.endpoint in PUBLIC or user() is not None:
        return None
    if request.method != "GET":
        abort(401)
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]


@BP.after_request
def headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "admin.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@BP.context_processor
def template_globals() -> dict[str, object]:
    return {"csrf_token": csrf_token, "admin_user": user}

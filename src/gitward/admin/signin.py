"""Sign-in and sign-out: a local account (argon2 password file) or a forge (OAuth2)."""

from __future__ import annotations

import logging
import secrets

from flask import Response, abort, flash, redirect, render_template, request, session, url_for

from gitward.admin import oauth, passwords
from gitward.admin.site import BP, csrf_token, start_session, state
from gitward.errors import ConfigError

LOG = logging.getLogger("gitward.admin")


def _next() -> str:
    """Where to go after signing in: an admin page of this site, never elsewhere."""
    wanted = request.values.get("next") or session.get("next") or ""
    ok = isinstance(wanted, str) and wanted.startswith("/admin/") and "//" not in wanted
    return wanted if ok and "\\" not in wanted else url_for("admin.signers")


def _page(error: str = "", status: int = 200) -> tuple[str, int]:
    st = state()
    csrf_token()
    return render_template(
        "admin/login.html",
        local=st.config.password_file is not None,
        forges=st.config.oauth,
        error=error,
        next=request.values.get("next", ""),
    ), status


def _limited(keys: list[str]) -> tuple[str, int] | None:
    wait = state().limiter.hit(keys)
    if not wait:
        return None
    LOG.warning("sign-in attempts over the limit from %s", request.remote_addr)
    return _page(f"Too many sign-in attempts: try again in {int(wait) + 1} s.", 429)


@BP.get("/login")
def login() -> tuple[str, int]:
    return _page()


@BP.post("/login")
def login_post() -> Response | tuple[str, int]:
    st = state()
    if st.config.password_file is None:
        abort(404)
    name = request.form.get("login", "")[:100]
    password = request.form.get("password", "")[:1024]
    limited = _limited([f"ip:{request.remote_addr}", f"login:{name.lower()}"])
    if limited is not None:
        return limited
    try:
        ok = passwords.verify(st.config.password_file, name, password)
    except ConfigError as exc:
        LOG.error("local sign-in unusable: %s", exc)
        return _page("Local sign-in is broken on the server (see its log).", 500)
    if not ok:
        LOG.warning("failed local sign-in for %r from %s", name, request.remote_addr)
        return _page("Wrong login or password.", 401)
    target = _next()
    start_session(f"local:{name}")
    LOG.info("local admin %r signed in from %s", name, request.remote_addr)
    return redirect(target)  # type: ignore[return-value]


@BP.post("/logout")
def logout() -> Response:
    session.clear()
    flash("Signed out.")
    return redirect(url_for("admin.login"))  # type: ignore[return-value]


def _callback_url(name: str) -> str:
    return f"{state().config.public_url}/admin/oauth/{name}/callback"


@BP.get("/oauth/<name>")
def oauth_start(name: str) -> Response:
    forge = state().config.forge(name)
    if forge is None:
        abort(404)
    verifier = oauth.new_verifier()
    session["oauth"] = {"forge": name, "state": secrets.token_urlsafe(32), "verifier": verifier}
    session["next"] = _next()
    url = oauth.authorize_url(forge, _callback_url(name), session["oauth"]["state"], verifier)
    return redirect(url)  # type: ignore[return-value]


@BP.get("/oauth/<name>/callback")
def oauth_callback(name: str) -> Response | tuple[str, int]:
    st = state()
    forge = st.config.forge(name)
    if forge is None:
        abort(404)
    limited = _limited([f"ip:{request.remote_addr}"])
    if limited is not None:
        return limited
    pending = session.pop("oauth", None)
    sent = request.args.get("state", "")
    if (
        not isinstance(pending, dict)
        or pending.get("forge") != name
        or not secrets.compare_digest(str(pending.get("state", "")), sent)
    ):
        return _page("The sign-in expired or did not start here; sign in again.", 400)
    if "code" not in request.args:
        return _page(f"{name} did not sign you in ({request.args.get('error', 'no code')}).", 401)
    http = st.http()
    try:
        token = oauth.exchange(
            http,
            forge,
            st.client_secrets[name],
            request.args["code"],
            _callback_url(name),
            str(pending.get("verifier", "")),
        )
        login_name = oauth.login_of(http, forge, token)
        admin = oauth.is_admin(http, forge, token, login_name)
    except oauth.OAuthError as exc:
        LOG.warning("sign-in with %s failed: %s", name, exc)
        return _page(f"Sign-in with {name} failed: {exc}.", 502)
    if not admin:
        LOG.warning("%s user %r is not an admin", name, login_name)
        return _page(f"{login_name} on {name} is not an admin here.", 403)
    target = _next()
    start_session(f"{name}:{login_name}")
    LOG.info("%s admin %r signed in from %s", name, login_name, request.remote_addr)
    return redirect(target)  # type: ignore[return-value]

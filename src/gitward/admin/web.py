"""`register(app, ...)`: the admin pages on the receiver's Flask app, when admin.yaml exists.

Secrets (the session key, OAuth client secrets) are read once, here. Sessions are Flask's
signed cookies, scoped to /admin: Secure, HttpOnly, SameSite=Lax (the forge's redirect back
after an OAuth sign-in is a top-level GET from another site, which Strict would strip), and
expiring `session.lifetime_minutes` after sign-in (checked by the cookie's signature time and
again against the sign-in time it carries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from flask import Flask

# Imported for their routes: each adds its views to the blueprint `BP`.
from gitward.admin import forge_import, report_pages, signer_pages, signin
from gitward.admin.limits import Limiter
from gitward.admin.site import BP, FinishedJobs, State
from gitward.config import forges_file, policy_path, secrets
from gitward.config.admin_file import AdminConfig
from gitward.errors import ConfigError

MIN_SECRET_BYTES = 32
COOKIE = "gitward_admin"


def register(
    app: Flask,
    admin: AdminConfig,
    config: str | Path,
    environ: Mapping[str, str],
    jobs: FinishedJobs | None = None,
    http: Callable[[], Any] = requests.Session,
) -> None:
    """Serve the admin pages under /admin of `app`. Raises ConfigError for a missing or
    short session secret or a missing OAuth client secret."""
    key = secrets.read(admin.session_secret, environ)
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigError(
            [f"{admin.path}: session.secret: expected {MIN_SECRET_BYTES} bytes or more"]
        )
    app.secret_key = key
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE,
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=admin.session_minutes),
    )
    app.extensions["gitward.admin"] = State(
        config=admin,
        policy=policy_path(config),
        client_secrets={f.name: secrets.read(f.client_secret, environ) for f in admin.oauth},
        limiter=Limiter(admin.attempts, admin.window_seconds),
        jobs=jobs,
        http=http,
        forge_keys=forge_import.readers(
            forges_file.load(forges_file.path_for(config)).forges, environ
        ),
    )
    app.register_blueprint(BP)


__all__ = ["forge_import", "register", "report_pages", "signer_pages", "signin"]

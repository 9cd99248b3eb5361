"""Admin page test set-up: a config directory with a policy, signers, forges.yaml, admin.yaml
(local accounts and OAuth forges), and helpers to sign in and post forms."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import gwkeys
import gwreceiver
from flask import Flask
from flask.testing import FlaskClient

from gitward import config
from gitward.admin import passwords
from gitward.receiver.app import create_app
from gitward.signers import add as signers_add

PASSWORD = "correct horse battery"  # a throwaway value for tests only
SESSION_SECRET = "s" * 40
POLICY = """\
version: 1
settings: {audit_log: audit.jsonl}
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures: {signers: [group:maintainers]}
  - id: release-tags
    refs: ["refs/tags/v*"]
    signatures: {signers: [group:maintainers, group:releasers]}
"""
ADMIN = """\
version: 1
public_url: {public_url}
allow_insecure_loopback: true
session: {{secret: env:GW_ADMIN_SESSION, lifetime_minutes: 30}}
login_rate_limit: {{attempts: {attempts}, window_seconds: 60}}
local: {{password_file: admin-passwords}}
oauth:
  - name: tea
    type: gitea
    url: {forge_url}
    api_url: {forge_url}/api/v1
    client_id: gitward-admin
    client_secret: env:GW_ADMIN_OAUTH
    admins: {{users: [alice], teams: [acme/security]}}
  - name: gh
    type: github
    url: {forge_url}
    api_url: {forge_url}/api/v3
    client_id: gitward-admin-gh
    client_secret: env:GW_ADMIN_OAUTH
    admins: {{orgs: [acme], teams: [acme/security]}}
"""
ENV = {**gwreceiver.ENV, "GW_ADMIN_SESSION": SESSION_SECRET, "GW_ADMIN_OAUTH": "oauth-secret"}


def write_config(
    directory: Path,
    *,
    public_url: str = "http://127.0.0.1:9",
    forge_url: str = "http://127.0.0.1:9",
    attempts: int = 5,
    signers: bool = True,
) -> Path:
    """A config directory: policy with two signature rules, signers alice (maintainers,
    OpenPGP) and bob (releasers, SSH), forges.yaml, admin.yaml, local admin `root`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "policy.yaml").write_text(POLICY)
    gwreceiver.write_forges(directory)
    (directory / "admin.yaml").write_text(
        ADMIN.format(public_url=public_url, forge_url=forge_url, attempts=attempts)
    )
    passwords.set_password(directory / "admin-passwords", "root", PASSWORD)
    if signers:
        located = config.locate(directory)
        signers_add.add(
            located,
            signers_add.NewSigner(
                "alice",
                "Alice Example",
                (gwkeys.email("alice"),),
                ("maintainers",),
                gpg_keys=(("alice.asc", gwkeys.public_key("alice")),),
            ),
            actor="setup",
        )
        signers_add.add(
            located,
            signers_add.NewSigner(
                "bob",
                "Bob Example",
                (gwkeys.email("bob"),),
                ("releasers",),
                ssh_keys=(("bob.pub", gwkeys.ssh_public_key("bob")),),
            ),
            actor="setup",
        )
    return directory


def app(directory: Path, environ: Mapping[str, str] | None = None) -> Flask:
    flask_app = create_app(directory, environ=ENV if environ is None else environ)
    flask_app.testing = True
    return flask_app


def client(flask_app: Flask) -> FlaskClient:
    return flask_app.test_client()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def version(html: str) -> str:
    found = re.search(r'name="version" value="([^"]+)"', html)
    assert found, "no version token in the page"
    return found.group(1)


def sign_in(c: FlaskClient, login: str = "root", password: str = PASSWORD) -> None:
    page = c.get("/admin/login").get_data(as_text=True)
    answer = c.post("/admin/login", data={"csrf": csrf(page), "login": login, "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)

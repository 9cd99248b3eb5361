"""The admin pages over HTTP (Flask's test client): off unless configured, sign-in, cookies,
CSRF, rate limits, headers, and every signer edit through the CLI's code."""

from __future__ import annotations

import json
import time
from pathlib import Path

import gwadmin
import gwkeys
import pytest
from flask.testing import FlaskClient

from gitward.config import signers_file


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return gwadmin.write_config(tmp_path / "cfg")


@pytest.fixture
def client(cfg: Path) -> FlaskClient:
    c = gwadmin.client(gwadmin.app(cfg))
    gwadmin.sign_in(c)
    return c


def audit(cfg: Path) -> list[dict[str, object]]:
    lines = (cfg / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def page(c: FlaskClient, path: str) -> str:
    answer = c.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def test_admin_pages_are_off_without_admin_yaml(cfg: Path) -> None:
    (cfg / "admin.yaml").unlink()
    app = gwadmin.app(cfg)
    c = gwadmin.client(app)
    assert c.get("/admin/login").status_code == 404
    assert c.get("/admin/signers").status_code == 404
    assert c.post("/admin/login", data={"login": "root"}).status_code == 404
    assert "gitward.admin" not in app.extensions
    assert c.get("/healthz").headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'"
    )


def test_every_page_needs_a_signed_in_admin(cfg: Path) -> None:
    c = gwadmin.client(gwadmin.app(cfg))
    for path in ("/admin/", "/admin/signers", "/admin/signers/alice", "/admin/audit",
                 "/admin/decisions", "/admin/policy"):  # fmt: skip
        answer = c.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/admin/login?next=")
    token = gwadmin.csrf(page(c, "/admin/login"))
    refused = c.post("/admin/signers/alice/remove", data={"csrf": token})
    assert refused.status_code == 401
    assert (cfg / "signers" / "alice.yaml").exists()


def test_session_cookie_is_signed_secure_httponly_samesite_and_expires(cfg: Path) -> None:
    c = gwadmin.client(gwadmin.app(cfg))
    login = c.get("/admin/login")
    answer = c.post(
        "/admin/login",
        data={
            "csrf": gwadmin.csrf(login.get_data(as_text=True)),
            "login": "root",
            "password": gwadmin.PASSWORD,
        },
    )
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("gitward_admin=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/admin", "Expires="):
        assert flag in cookie, cookie
    # A forged cookie (value changed, signature kept) is no session.
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    other = gwadmin.client(gwadmin.app(cfg))
    other.set_cookie("gitward_admin", "x" + value[1:], path="/admin")
    assert other.get("/admin/signers").status_code == 302


def test_a_session_ends_after_its_lifetime(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = gwadmin.client(gwadmin.app(cfg))
    gwadmin.sign_in(c)
    assert c.get("/admin/signers").status_code == 200
    later = time.time() + 31 * 60  # admin.yaml: lifetime_minutes 30
    monkeypatch.setattr(time, "time", lambda: later)
    assert c.get("/admin/signers").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient, cfg: Path) -> None:
    version = gwadmin.version(page(client, "/admin/signers/alice"))
    missing = client.post("/admin/signers/alice/remove", data={"version": version})
    assert missing.status_code == 400
    assert "CSRF" in missing.get_data(as_text=True)
    wrong = client.post("/admin/signers/alice/remove", data={"version": version, "csrf": "x"})
    assert wrong.status_code == 400
    assert (cfg / "signers" / "alice.yaml").exists()
    login = gwadmin.client(gwadmin.app(cfg)).post("/admin/login", data={"login": "root"})
    assert login.status_code == 400  # the sign-in form too


def test_wrong_passwords_and_unknown_logins_are_refused_alike(cfg: Path) -> None:
    c = gwadmin.client(gwadmin.app(cfg))
    token = gwadmin.csrf(page(c, "/admin/login"))
    for login, password in (("root", "wrong password!"), ("nobody", gwadmin.PASSWORD)):
        answer = c.post("/admin/login", data={"csrf": token, "login": login, "password": password})
        assert answer.status_code == 401
        assert "Wrong login or password." in answer.get_data(as_text=True)
    assert c.get("/admin/signers").status_code == 302


def test_sign_in_attempts_are_rate_limited(tmp_path: Path) -> None:
    cfg = gwadmin.write_config(tmp_path / "cfg", attempts=3, signers=False)
    c = gwadmin.client(gwadmin.app(cfg))
    token = gwadmin.csrf(page(c, "/admin/login"))
    codes = [
        c.post(
            "/admin/login", data={"csrf": token, "login": "root", "password": "nope"}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    right = {"csrf": token, "login": "root", "password": gwadmin.PASSWORD}
    limited = c.post("/admin/login", data=right)
    assert limited.status_code == 429  # even the right password, until the window passes
    assert "Too many sign-in attempts" in limited.get_data(as_text=True)


def test_after_sign_in_only_admin_pages_are_a_destination(cfg: Path) -> None:
    for wanted, lands in (
        ("/admin/audit?event=push", "/admin/audit?event=push"),
        ("https://evil.example/", "/admin/signers"),
        ("//evil.example/admin/", "/admin/signers"),
        ("/admin/\\evil", "/admin/signers"),
    ):
        c = gwadmin.client(gwadmin.app(cfg))
        token = gwadmin.csrf(page(c, "/admin/login"))
        answer = c.post(
            "/admin/login",
            data={"csrf": token, "login": "root", "password": gwadmin.PASSWORD, "next": wanted},
        )
        assert answer.headers["Location"] == lands


def test_admin_responses_carry_a_strict_csp_and_other_routes_keep_theirs(
    client: FlaskClient,
) -> None:
    answer = client.get("/admin/signers")
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Frame-Options"] == "DENY"
    html = answer.get_data(as_text=True)
    assert "<script src=" in html
    assert "<script>" not in html
    assert " style=" not in html
    script = client.get("/admin/static/admin.js")
    assert script.status_code == 200
    script.close()
    assert client.get("/healthz").headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'"
    )


def test_sign_out_ends_the_session(client: FlaskClient) -> None:
    token = gwadmin.csrf(page(client, "/admin/signers"))
    answer = client.post("/admin/logout", data={"csrf": token})
    assert answer.status_code == 302
    assert client.get("/admin/signers").status_code == 302


def test_the_signers_page_lists_keys_groups_and_rules(client: FlaskClient) -> None:
    html = page(client, "/admin/signers")
    assert gwkeys.fingerprint("alice") in html
    assert gwkeys.ssh_fingerprint("bob") in html
    assert "EdDSA" in html
    assert "ecdsa-sha2-nistp256" in html
    assert "protect-main" in html
    assert "release-tags" in html
    assert "added by hand" in html
    assert client.get("/admin/").headers["Location"] == "/admin/signers"


def test_adding_a_signer_by_pasting_a_key_is_audited_with_the_admin(
    client: FlaskClient, cfg: Path
) -> None:
    token = gwadmin.csrf(page(client, "/admin/signers"))
    answer = client.post(
        "/admin/signers",
        data={
            "csrf": token,
            "id": "carol",
            "name": "Carol Example",
            "emails": gwkeys.email("carol"),
            "groups": "maintainers, releasers",
            "key": gwkeys.public_key("carol").decode(),
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert answer.headers["Location"] == "/admin/signers/carol"
    loaded = signers_file.load_dir(cfg / "signers")
    carol = loaded.signers.by_id("carol")
    assert carol is not None
    assert carol.groups == ("maintainers", "releasers")
    assert [k.fingerprint for k in carol.openpgp_keys] == [gwkeys.fingerprint("carol")]
    last = audit(cfg)[-1]
    assert last["event"] == "signers.add"
    assert last["actor"] == "local:root"
    assert "Added signer carol." in page(client, "/admin/signers/carol")


def test_a_refused_addition_says_why_and_keeps_the_form(client: FlaskClient, cfg: Path) -> None:
    token = gwadmin.csrf(page(client, "/admin/signers"))
    answer = client.post(
        "/admin/signers",
        data={
            "csrf": token,
            "id": "dave",
            "name": "Dave",
            "emails": "dave@example.com",
            "key": gwkeys.ssh_public_key("bob"),
        },
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "already belongs to signer" in html
    assert 'value="dave@example.com"' in html
    assert not (cfg / "signers" / "dave.yaml").exists()
    empty = client.post(
        "/admin/signers", data={"csrf": token, "id": "dave", "name": "D", "emails": "d@x.org"}
    )
    assert empty.status_code == 422
    assert "paste an armored OpenPGP public key" in empty.get_data(as_text=True)


def test_adding_revoking_and_regrouping_keys(client: FlaskClient, cfg: Path) -> None:
    html = page(client, "/admin/signers/bob")
    token, version = gwadmin.csrf(html), gwadmin.version(html)
    added = client.post(
        "/admin/signers/bob/keys",
        data={"csrf": token, "version": version, "key": gwkeys.public_key("bob").decode()},
    )
    assert added.status_code == 302, added.get_data(as_text=True)
    html = page(client, "/admin/signers/bob")
    assert gwkeys.fingerprint("bob") in html
    revoked = client.post(
        "/admin/signers/bob/revoke",
        data={
            "csrf": token,
            "version": gwadmin.version(html),
            "key": gwkeys.fingerprint("bob"),
            "since": "2026-01-02",
        },
    )
    assert revoked.status_code == 302, revoked.get_data(as_text=True)
    assert 'class="revoked"' in page(client, "/admin/signers/bob")
    html = page(client, "/admin/signers/bob")
    regrouped = client.post(
        "/admin/signers/bob/groups",
        data={"csrf": token, "version": gwadmin.version(html), "groups": "releasers ops"},
    )
    assert regrouped.status_code == 302, regrouped.get_data(as_text=True)
    bob = signers_file.load_dir(cfg / "signers").signers.by_id("bob")
    assert bob is not None
    assert bob.groups == ("releasers", "ops")
    assert bob.openpgp_keys[0].validity.revoked_since is not None
    events = [(r["event"], r["actor"]) for r in audit(cfg)[-3:]]
    assert events == [("signers.add_keys", "local:root"), ("signers.revoke", "local:root"),
                      ("signers.groups", "local:root")]  # fmt: skip


def test_edits_the_policy_would_not_survive_are_refused(client: FlaskClient, cfg: Path) -> None:
    html = page(client, "/admin/signers/alice")
    token, version = gwadmin.csrf(html), gwadmin.version(html)
    regroup = client.post(
        "/admin/signers/alice/groups", data={"csrf": token, "version": version, "groups": ""}
    )
    assert regroup.status_code == 422
    assert "the policy still needs" in regroup.get_data(as_text=True)
    remove = client.post("/admin/signers/alice/remove", data={"csrf": token, "version": version})
    assert remove.status_code == 422
    bad_date = client.post(
        "/admin/signers/alice/revoke",
        data={
            "csrf": token,
            "version": version,
            "key": gwkeys.fingerprint("alice"),
            "since": "yesterday",
        },
    )
    assert bad_date.status_code == 422
    assert "expected a date" in bad_date.get_data(as_text=True)
    assert client.get("/admin/signers/nobody").status_code == 404


def test_a_save_against_a_changed_signer_is_refused_with_a_clear_message(
    client: FlaskClient, cfg: Path
) -> None:
    html = page(client, "/admin/signers/bob")
    token, seen = gwadmin.csrf(html), gwadmin.version(html)
    first = client.post(
        "/admin/signers/bob/groups", data={"csrf": token, "version": seen, "groups": "releasers a"}
    )
    assert first.status_code == 302
    before = (cfg / "signers" / "bob.yaml").read_text()
    for path, data in (
        ("/admin/signers/bob/groups", {"groups": "releasers b"}),
        ("/admin/signers/bob/revoke", {"key": gwkeys.ssh_fingerprint("bob")}),
        ("/admin/signers/bob/keys", {"key": gwkeys.public_key("bob").decode()}),
        ("/admin/signers/bob/remove", {}),
    ):
        second = client.post(path, data={"csrf": token, "version": seen, **data})
        assert second.status_code == 409, path
        assert "was changed by someone else" in second.get_data(as_text=True)
    assert (cfg / "signers" / "bob.yaml").read_text() == before


def test_removing_a_signer(client: FlaskClient, cfg: Path) -> None:
    html = page(client, "/admin/signers/bob")
    token = gwadmin.csrf(html)
    # bob is the only releaser the policy names: first give the group another member.
    alice = page(client, "/admin/signers/alice")
    client.post(
        "/admin/signers/alice/groups",
        data={"csrf": token, "version": gwadmin.version(alice), "groups": "maintainers releasers"},
    )
    answer = client.post(
        "/admin/signers/bob/remove", data={"csrf": token, "version": gwadmin.version(html)}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert not (cfg / "signers" / "bob.yaml").exists()
    again = client.post(
        "/admin/signers/bob/remove", data={"csrf": token, "version": gwadmin.version(html)}
    )
    assert again.status_code == 422  # shown on the list: the signer is gone
    assert "no signer" in again.get_data(as_text=True)


def test_user_strings_are_escaped_by_the_templates(client: FlaskClient, cfg: Path) -> None:
    token = gwadmin.csrf(page(client, "/admin/signers"))
    key = gwkeys.ssh_public_key("mallory").rsplit(" ", 1)[0] + " <script>alert(1)</script>"
    answer = client.post(
        "/admin/signers",
        data={
            "csrf": token,
            "id": "mallory",
            "name": '<img src=x onerror="alert(2)">',
            "emails": "m@example.com",
            "key": key,
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    for path in ("/admin/signers", "/admin/signers/mallory", "/admin/audit"):
        html = page(client, path)
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page(client, "/admin/signers")


def test_the_audit_log_newest_first_filtered_by_signer_and_event(
    client: FlaskClient, cfg: Path
) -> None:
    with (cfg / "audit.jsonl").open("a") as log:
        log.write("not json\n[1]\n")
        log.write(json.dumps({"time": "2026-11-29T10:00:00Z", "event": "push",
                              "actor": "dev", "verdict": "refused", "repository": "acme/x",
                              "ref_updates": [{"ref": f"refs/heads/b{i}"} for i in range(5)],
                              "violations": [{"rule_id": "protect-main"}]}) + "\n")  # fmt: skip
    html = page(client, "/admin/audit")
    rows = html[html.index("<tbody>") :]
    assert rows.index("refused acme/x") < rows.index("<td>signers.add</td>")
    assert rows.index("<td>bob</td>") < rows.index("<td>alice</td>")  # bob was added last
    assert "(+2)" in html
    only = page(client, "/admin/audit?signer=alice")
    assert "alice" in only
    assert "acme/x" not in only
    pushes = page(client, "/admin/audit?event=push")
    assert "signers.add</td>" not in pushes
    assert "refused acme/x" in pushes


def test_the_policy_page_shows_the_file_and_its_check(client: FlaskClient, cfg: Path) -> None:
    html = page(client, "/admin/policy")
    assert "OK: 2 rule(s), 2 signer(s)." in html
    assert "protect-main" in html
    (cfg / "policy.yaml").write_text(gwadmin.POLICY.replace("group:releasers", "group:typo"))
    html = page(client, "/admin/policy")
    assert "problem(s): the policy would not be applied" in html
    assert "typo" in html
    (cfg / "forges.yaml").write_text("version: 2\n")
    assert "forges.yaml" in page(client, "/admin/policy")


def test_the_admin_config_is_checked_when_the_receiver_starts(cfg: Path) -> None:
    from gitward.errors import ConfigError

    env = {**gwadmin.ENV, "GW_ADMIN_SESSION": "short"}
    with pytest.raises(ConfigError, match="32 bytes or more"):
        gwadmin.app(cfg, env)
    env = {k: v for k, v in gwadmin.ENV.items() if k != "GW_ADMIN_OAUTH"}
    with pytest.raises(ConfigError, match="GW_ADMIN_OAUTH"):
        gwadmin.app(cfg, env)

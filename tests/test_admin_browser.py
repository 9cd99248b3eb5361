"""The admin pages in a real headless browser: Playwright driving Debian's chromium (installed
by scripts/test.sh; browser downloads are impossible here). Signs in locally and through a
Gitea double, adds a key by paste, revokes one, meets a conflict, a CSRF refusal and XSS
attempts. The screenshots README.md shows are taken here (into docs/img/ with
$GITWARD_SCREENSHOTS set).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gwadmin
import gwforge
import gwkeyforge
import gwkeys
import gwoauth
import gwreceiver
import gwredis
import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright
from pytest_httpserver import HTTPServer
from werkzeug.serving import make_server

from gitward.audit import log as audit_log

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "img"
SCRATCH = Path(tempfile.gettempdir()) / f"gitward-shots-{os.getpid()}"

if not Path(CHROMIUM).exists():  # scripts/test.sh installs it; a bare pytest run may lack it
    pytest.skip(f"Debian's chromium is not installed ({CHROMIUM})", allow_module_level=True)


class Site:
    def __init__(self, url: str, cfg: Path, forge: gwforge.ForgeDouble) -> None:
        self.url, self.cfg, self.forge = url, cfg, forge


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with gwforge.serve() as server:
        yield from _site(tmp_path_factory.mktemp("admin") / "cfg", server)


def _site(cfg: Path, server: HTTPServer) -> Iterator[Site]:
    port = gwredis.free_port()
    url = f"http://127.0.0.1:{port}"
    # Every test signs in from 127.0.0.1: a limit above their count (the limit has its own test).
    gwadmin.write_config(cfg, public_url=url, forge_url=gwoauth.forge_root(server), attempts=100)
    # The forges' key lists (the import form) come from the same Gitea double.
    root = gwoauth.forge_root(server)
    gwreceiver.write_forges(cfg, api_url=f"{root}/api/v1", git_url=root)
    _decisions(cfg / "audit.jsonl")
    forge, _ = gwoauth.forge(server, "gitea", "oauth-secret")
    forge.on("GET", "/user", gwforge.Answer(json={"login": "alice"}))
    http = make_server("127.0.0.1", port, gwadmin.app(cfg), threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(url, cfg, forge)
    finally:
        http.shutdown()
        thread.join()
        http.server_close()


def _decisions(log: Path) -> None:
    """Two weeks of hook and receiver decisions, for the chart, written as gitward writes them
    (chained: the audit page shows the chain intact)."""
    today = datetime.now(UTC).replace(hour=9)
    for day in range(14):
        for n in range((day * 7) % 5 + 2):
            refused = (day + n) % 4 == 0
            record: dict[str, object] = {
                "time": (today - timedelta(days=day)).isoformat().replace("+00:00", "Z"),
                "event": "push",
                "actor": "dev",
                "repository": "acme/app",
                "ref_updates": [{"ref": "refs/heads/main"}],
                "verdict": "refused" if refused else "accepted",
                "violations": [
                    {"rule_id": "protect-main" if n % 2 else "release-tags", "mode": "enforce"}
                ]
                if refused
                else [],
            }
            if n == 1:  # a pull request's verdict from the receiver
                del record["ref_updates"]
                record.update(event="receiver.verdict", forge="tea", kind="pull_request",
                              ref="refs/heads/main", number=day + 10)  # fmt: skip
            audit_log.append(log, record)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def dialogs() -> list[str]:
    """What `confirm()` / `alert()` asked in the page (each accepted)."""
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    p = context.new_page()

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    p.on("dialog", answer)
    yield p
    context.close()


def sign_in_locally(page: Page, site: Site) -> None:
    p = page
    p.goto(f"{site.url}/admin/")
    p.fill("input[name=login]", "root")
    p.fill("input[name=password]", gwadmin.PASSWORD)
    p.click("form.stack button[type=submit]")
    p.wait_for_url(f"{site.url}/admin/signers")


def shot(page: Page, name: str) -> None:
    """Take the screenshot README shows: into docs/img/ when $GITWARD_SCREENSHOTS is set
    (`GITWARD_SCREENSHOTS=1 ./scripts/test.sh tests/test_admin_browser.py`), else into the
    test's scratch space, so that a test run leaves the tracked images alone."""
    folder = SHOTS if os.environ.get("GITWARD_SCREENSHOTS") else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"admin-{name}.png"), full_page=True)
    assert (folder / f"admin-{name}.png").stat().st_size > 1000  # a page, not a blank


def test_local_sign_in_and_the_main_pages(page: Page, site: Site) -> None:
    p = page
    p.goto(f"{site.url}/admin/signers")
    assert "/admin/login" in p.url
    shot(p, "login")
    sign_in_locally(p, site)
    assert p.locator("header .who span").inner_text() == "local:root"
    cookie = next(c for c in p.context.cookies() if c["name"] == "gitward_admin")
    assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"]) == (True, True, "Lax")
    assert p.locator("text=protect-main").count() >= 1
    shot(p, "signers")
    p.click("nav >> text=Decisions")
    assert p.locator("svg rect.refused").count() > 0
    shot(p, "decisions")
    p.click("nav >> text=Policy")
    assert p.locator(".check.ok").count() == 1
    shot(p, "policy")
    p.click("nav >> text=Audit log")
    assert p.locator("#chain h2").inner_text() == "Hash chain: intact"
    shot(p, "audit")
    p.select_option("select[name=event]", "signers.add")
    p.click("text=Filter")
    assert p.locator("table.audit tbody tr").count() == 2


def test_oauth_sign_in_with_the_gitea_double(page: Page, site: Site) -> None:
    p = page
    p.goto(f"{site.url}/admin/login")
    p.click("text=Sign in with tea")
    p.wait_for_url(f"{site.url}/admin/signers")
    assert p.locator("header .who span").inner_text() == "tea:alice"
    assert site.forge.problems == []


def test_add_a_key_by_paste_then_revoke_it(page: Page, site: Site, dialogs: list[str]) -> None:
    p = page
    sign_in_locally(p, site)
    p.goto(f"{site.url}/admin/signers/bob")
    p.fill("#add-key textarea[name=key]", gwkeys.public_key("bob").decode())
    p.click("#add-key button")
    assert p.locator("text=Key added.").is_visible()
    fpr = gwkeys.fingerprint("bob")
    row = p.locator(f"tr:has(code:text-is('{fpr}'))")
    assert row.locator("td").nth(2).inner_text() == "RSA"
    shot(p, "signer")
    row.locator("button:text('Revoke')").click()
    assert p.locator(f"text=Key {fpr} revoked.").is_visible()
    assert dialogs and dialogs[-1].startswith("Revoke this key?")
    assert "revoked" in (row.get_attribute("class") or "")
    last = json.loads((site.cfg / "audit.jsonl").read_text().splitlines()[-1])
    assert (last["event"], last["actor"], last["details"]["key"]) == (
        "signers.revoke",
        "local:root",
        fpr,
    )


def test_two_admins_saving_at_once_the_second_is_told(browser: Browser, site: Site) -> None:
    pages = []
    for _ in range(2):
        context = browser.new_context()
        p = context.new_page()
        sign_in_locally(p, site)
        p.goto(f"{site.url}/admin/signers/alice")
        pages.append(p)
    first, second = pages
    first.fill("#groups input[name=groups]", "maintainers, leads")
    first.click("#groups button")
    assert first.locator("text=Groups changed.").is_visible()
    second.fill("#groups input[name=groups]", "maintainers, oncall")
    second.click("#groups button")
    alert = second.locator("p.error[role=alert]")
    assert "was changed by someone else after you opened it; nothing was saved" in (
        alert.inner_text()
    )
    shot(second, "conflict")
    assert "leads" in (site.cfg / "signers" / "alice.yaml").read_text()
    assert "oncall" not in (site.cfg / "signers" / "alice.yaml").read_text()
    for p in pages:
        p.context.close()


def test_a_form_with_a_forged_csrf_token_is_refused(page: Page, site: Site) -> None:
    p = page
    sign_in_locally(p, site)
    p.goto(f"{site.url}/admin/signers/alice")
    p.locator("#groups input[name=csrf]").evaluate("e => { e.value = 'forged' }")
    p.fill("#groups input[name=groups]", "nobody")
    with p.expect_response(lambda r: r.request.method == "POST") as answer:
        p.click("#groups button")
    assert answer.value.status == 400
    assert "CSRF token is missing or wrong" in p.content()
    assert "nobody" not in (site.cfg / "signers" / "alice.yaml").read_text()


def test_xss_through_a_key_comment_and_a_signer_name_stays_text(
    page: Page, site: Site, dialogs: list[str]
) -> None:
    p = page
    sign_in_locally(p, site)
    name = '<img src=x onerror="alert(document.cookie)">'
    comment = "<script>alert('comment')</script>"
    key = gwkeys.ssh_public_key("mallory").rsplit(" ", 1)[0] + " " + comment
    form = "#add-signer"
    p.fill(f"{form} input[name=id]", "mallory")
    p.fill(f"{form} input[name=name]", name)
    p.fill(f"{form} input[name=emails]", "mallory@example.com")
    p.fill(f"{form} textarea[name=key]", key)
    p.click(f"{form} button")
    p.wait_for_url(f"{site.url}/admin/signers/mallory")
    assert p.locator("h1 .muted").inner_text() == name
    assert p.locator(".comment").inner_text() == comment
    p.goto(f"{site.url}/admin/signers")
    assert p.locator("img").count() == 0
    assert p.locator("main script").count() == 0
    assert dialogs == []


def test_import_a_signer_from_a_forge_login(page: Page, site: Site) -> None:
    line = gwkeys.ssh_public_key("carol")
    site.forge.on("GET", "/users/carol/gpg_keys",
                  gwforge.Answer(json=[], headers={"X-Total-Count": "0"}))  # fmt: skip
    listed = [gwkeyforge.gitea_ssh(line, "laptop")]
    site.forge.on("GET", "/users/carol/keys",
                  gwforge.Answer(json=listed, headers={"X-Total-Count": "1"}))  # fmt: skip
    p = page
    sign_in_locally(p, site)
    form = "#import-signer"
    p.select_option(f"{form} select[name=forge]", "tea")
    p.fill(f"{form} input[name=login]", "carol")
    p.fill(f"{form} input[name=groups]", "releasers")
    p.fill(f"{form} input[name=emails]", gwkeys.email("carol"))
    p.check(f"{form} input[name=include_unverified]")
    p.click(f"{form} button")
    assert p.locator("p.error").count() == 0, p.locator("p.error").inner_text()
    plan = p.locator("#import-plan pre.plan").inner_text()
    assert "new signer 'carol', keys from tea/carol:" in plan
    assert "+ add       SSH key" in plan and "NOT verified by the forge" in plan
    shot(p, "import")
    p.click("#import-confirm button")
    p.wait_for_url(f"{site.url}/admin/signers/carol")
    assert p.locator("text=Imported signer carol from tea/carol.").is_visible()
    assert p.locator("td:text-is('tea/carol')").count() == 1
    last = json.loads((site.cfg / "audit.jsonl").read_text().splitlines()[-1])
    assert (last["event"], last["actor"], last["signer"]) == (
        "signers.import", "local:root", "carol"
    )  # fmt: skip
    assert site.forge.problems == []


def test_chromium_is_debians(browser: Browser) -> None:
    assert shutil.which("chromium") == CHROMIUM
    assert browser.version

"""The admin page's import from a forge login, over HTTP against GitHub and Gitea doubles (real
keys; every request checked against the forge's API description): the plan first (keys added,
left out and why), nothing written until confirmed; the confirmation applies exactly that plan
through `gitward signers import`'s code, audited with the admin; CSRF-protected; a plan the forge
changed under is shown again, not applied."""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import gwadmin
import gwkeyforge as kf
import pytest
from flask.testing import FlaskClient
from gwsite import Site
from pytest_httpserver import HTTPServer

from gitward import config
from gitward.admin import passwords

TOKEN = "gw-admin-import-token-7c2d"  # a throwaway value for tests only
ENV = {
    "GW_TEST_TOKEN": TOKEN,
    "GW_TEST_WEBHOOK_SECRET": "webhook-secret",
    "GW_ADMIN_SESSION": gwadmin.SESSION_SECRET,
    "GW_ADMIN_OAUTH": "oauth-secret",
}


@pytest.fixture
def site(tmp_path: Path, servers: tuple[HTTPServer, HTTPServer, HTTPServer]) -> Iterator[Site]:
    made = Site.make(tmp_path, *servers)
    nowhere = "http://127.0.0.1:9"
    admin = gwadmin.ADMIN.format(public_url=nowhere, forge_url=nowhere, attempts=5)
    (tmp_path / "admin.yaml").write_text(admin)
    passwords.set_password(tmp_path / "admin-passwords", "root", gwadmin.PASSWORD)
    yield made
    assert made.problems() == []


def signed_in(site: Site, environ: Mapping[str, str] = ENV) -> FlaskClient:
    c = gwadmin.client(gwadmin.app(site.config, environ))
    gwadmin.sign_in(c)
    return c


def form_page(c: FlaskClient) -> str:
    answer = c.get("/admin/signers")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def plan(c: FlaskClient, status: int = 200, **fields: str) -> str:
    data = {"csrf": gwadmin.csrf(form_page(c)), "forge": "hub", "login": "dana", **fields}
    answer = c.post("/admin/signers/import", data=data)
    text = answer.get_data(as_text=True)
    assert answer.status_code == status, text
    return text


def confirm_fields(page: str) -> dict[str, str]:
    form = page[page.index('id="import-confirm"') :]
    form = form[: form.index("</form>")]
    fields = re.findall(r'name="([a-z_]+)" value="([^"]*)"', form)
    return {name: htmllib.unescape(value) for name, value in fields}


@pytest.mark.parametrize("forge", ["hub", "tea"])
def test_the_plan_first_then_the_import_audited_with_the_admin(
    site: Site, keys: kf.KeySet, forge: str
) -> None:
    site.serve(forge, "dana", [keys.dana, keys.old, keys.gone], ssh=[keys.ssh])
    c = signed_in(site)
    page = form_page(c)
    assert 'id="import-signer"' in page
    assert '<option value="hub"' in page and '<option value="tea"' in page

    shown = htmllib.unescape(plan(c, forge=forge, groups="maintainers, releasers"))
    assert f"new signer 'dana', keys from {forge}/dana:" in shown
    assert f"+ add       OpenPGP key {keys.dana.fingerprint}" in shown
    assert "+ group     maintainers" in shown
    assert f"leave out OpenPGP key {keys.old.fingerprint}: expired on 2020-12-31" in shown
    assert f"leave out OpenPGP key {keys.gone.fingerprint}: revoked" in shown
    if forge == "tea":  # Gitea does not say whether it verified an SSH key
        assert "the forge does not say if it verified it (tick" in shown
    assert site.snapshot() == {}  # nothing written before the admin confirms
    assert site.audit() == []

    fields = confirm_fields(shown)
    answer = c.post("/admin/signers/import/confirm", data=fields)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert answer.headers["Location"] == "/admin/signers/dana"
    text = site.signer_file("dana").read_text()
    assert f"source: {{forge: {forge}, user: dana}}" in text
    (signer,) = config.load(site.config).signers.signers
    assert signer.groups == ("maintainers", "releasers")
    assert [k.fingerprint for k in signer.openpgp_keys] == [keys.dana.fingerprint]
    (record,) = site.audit()
    assert (record["event"], record["actor"], record["signer"]) == (
        "signers.import", "local:root", "dana"
    )  # fmt: skip
    assert record["details"]["source"] == f"{forge}/dana"
    assert TOKEN not in json.dumps(record)
    signer_page = c.get("/admin/signers/dana").get_data(as_text=True)
    assert f"Imported signer dana from {forge}/dana." in signer_page
    assert f"{forge}/dana" in signer_page  # each key's source


def test_unverified_keys_only_when_ticked(site: Site, keys: kf.KeySet) -> None:
    site.serve("tea", "rob", [keys.rob], ssh=[keys.ssh_rsa])
    c = signed_in(site)
    without = htmllib.unescape(plan(c, forge="tea", login="rob"))
    assert "+ add       SSH key" not in without
    shown = htmllib.unescape(plan(c, forge="tea", login="rob", include_unverified="on"))
    assert "+ add       SSH key" in shown
    assert "NOT verified by the forge" in shown
    fields = confirm_fields(shown)
    assert fields["include_unverified"] == "on"
    assert c.post("/admin/signers/import/confirm", data=fields).status_code == 302
    assert "unverified: true" in site.signer_file("rob").read_text()


def test_a_plan_the_forge_changed_under_is_shown_again_not_applied(
    site: Site, keys: kf.KeySet
) -> None:
    site.serve("hub", "dana", [keys.dana])
    c = signed_in(site)
    fields = confirm_fields(htmllib.unescape(plan(c)))
    site.serve("hub", "dana", [keys.dana, keys.rob])  # a key added on the forge meanwhile
    answer = c.post("/admin/signers/import/confirm", data=fields)
    shown = htmllib.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 409
    assert "changed since the plan was shown; nothing was changed: review this plan" in shown
    assert f"+ add       OpenPGP key {keys.rob.fingerprint}" in shown
    assert site.snapshot() == {}
    again = confirm_fields(shown)
    assert c.post("/admin/signers/import/confirm", data=again).status_code == 302
    assert len(site.signers().signers[0].openpgp_keys) == 2


def test_the_confirmation_needs_the_csrf_token(site: Site, keys: kf.KeySet) -> None:
    site.serve("hub", "dana", [keys.dana])
    c = signed_in(site)
    fields = confirm_fields(htmllib.unescape(plan(c)))
    forged = {k: v for k, v in fields.items() if k != "csrf"}
    assert c.post("/admin/signers/import/confirm", data=forged).status_code == 400
    forged["csrf"] = "x" * 43
    assert c.post("/admin/signers/import/confirm", data=forged).status_code == 400
    assert c.post("/admin/signers/import", data={**forged, "csrf": ""}).status_code == 400
    assert site.snapshot() == {}
    assert site.audit() == []


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"forge": "nowhere"}, "no forge named &#39;nowhere&#39; in forges.yaml"),
        ({"login": "../admin"}, "not a forge user name: &#39;../admin&#39;"),
        ({"id": "../x"}, "expected a signer id"),
    ],
)
def test_what_cannot_be_imported_is_refused_with_one_line(
    site: Site, keys: kf.KeySet, fields: dict[str, str], why: str
) -> None:
    site.serve("hub", "dana", [keys.dana])
    c = signed_in(site)
    assert why in plan(c, 422, **fields)
    assert site.snapshot() == {}


def test_a_forge_without_a_readable_token_is_offered_as_unavailable(site: Site) -> None:
    c = signed_in(site, {k: v for k, v in ENV.items() if k != "GW_TEST_TOKEN"})
    page = htmllib.unescape(form_page(c))
    assert re.search(r'<option value="hub"\s+disabled>hub \(unavailable: ', page)
    refused = htmllib.unescape(plan(c, 422))
    assert "cannot read keys from hub:" in refused
    assert "GW_TEST_TOKEN" in refused


def test_an_e_mail_the_forge_did_not_verify_is_given_in_the_form(
    site: Site, keys: kf.KeySet
) -> None:
    site.serve("hub", "sshonly", [], ssh=[keys.ssh])  # GitHub lists no e-mail for an SSH key
    c = signed_in(site)
    refused = htmllib.unescape(plan(c, 422, login="sshonly"))
    assert "verified none of its keys' e-mails; give one under E-mails" in refused
    shown = htmllib.unescape(plan(c, login="sshonly", emails="ops@example.org"))
    assert "+ e-mail    ops@example.org" in shown
    assert c.post("/admin/signers/import/confirm", data=confirm_fields(shown)).status_code == 302
    (signer,) = site.signers().signers
    assert signer.emails == ("ops@example.org",)

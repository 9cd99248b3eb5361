"""`gitward signers import --forge`: a signer made or updated from the keys a GitHub or Gitea
double lists (real keys; every request checked against the forge's API description), shown
first, asked about, recorded with its source, and loadable by the hook's own loader."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import gwkeyforge as kf
import gwkeys
import pytest
from gwforge import Answer
from gwsite import Site
from pytest_httpserver import HTTPServer

from gitward import config

TOKEN = "gw-test-token-91ac"  # a throwaway value for tests only


@pytest.fixture
def site(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    servers: tuple[HTTPServer, HTTPServer, HTTPServer],
) -> Iterator[Site]:
    monkeypatch.setenv("GITWARD_ACTOR", "tester")
    monkeypatch.setenv("GW_TEST_TOKEN", TOKEN)
    made = Site.make(tmp_path, *servers)
    yield made
    assert made.problems() == []


def answer(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


@pytest.mark.parametrize("forge", ["hub", "tea"])
def test_import_makes_a_signer_from_the_forges_keys(
    site: Site, keys: kf.KeySet, forge: str, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = [keys.dana, keys.sam, keys.rob, keys.old, keys.gone]
    site.serve(forge, "dana", listed, ssh=[keys.ssh, keys.ssh_rsa])
    code = site.gw("import", "--forge", forge, "--user", "dana", "--group", "maintainers", "-y")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "new signer 'dana', keys from " + forge + "/dana:" in out
    for key in (keys.dana, keys.sam, keys.rob):
        assert f"+ add       OpenPGP key {key.fingerprint}" in out
    assert f"leave out OpenPGP key {keys.old.fingerprint}: expired on 2020-12-31" in out
    assert f"leave out OpenPGP key {keys.gone.fingerprint}: revoked" in out
    if forge == "hub":  # GitHub's SSH signing keys: on the account, so vouched for
        assert out.count("+ add       SSH key SHA256:") == 2
    else:  # Gitea's API does not say which SSH keys it verified
        assert out.count("the forge does not say if it verified it (--include-unverified") == 2
    assert "+ e-mail    dana@example.org" in out

    text = site.signer_file("dana").read_text()
    assert f"# Signer dana: imported with `gitward signers import` from {forge}/dana" in text
    assert f"source: {{forge: {forge}, user: dana}}" in text
    loaded = config.load(site.config)
    (signer,) = loaded.signers.signers
    assert signer.groups == ("maintainers",)
    assert set(signer.emails) == {"dana@example.org", "sam@example.org", "rob@example.org"}
    assert {k.fingerprint for k in signer.openpgp_keys} == {
        keys.dana.fingerprint,
        keys.sam.fingerprint,
        keys.rob.fingerprint,
    }
    assert (
        keys.sam_sub
        in next(
            k for k in signer.openpgp_keys if k.fingerprint == keys.sam.fingerprint
        ).signing_subkeys
    )
    assert len(signer.ssh_keys) == (2 if forge == "hub" else 0)
    (record,) = site.audit()
    assert (record["event"], record["signer"], record["actor"]) == (
        "signers.import",
        "dana",
        "tester",
    )
    details = record["details"]
    assert details["source"] == f"{forge}/dana" and details["new"] is True
    assert len(details["added"]) == (5 if forge == "hub" else 3)
    assert {o["reason"] for o in details["left_out"]} >= {"expired on 2020-12-31", "revoked"}


def test_import_asks_first_and_no_means_no(
    site: Site, keys: kf.KeySet, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana])
    for reply in ("n\n", ""):  # no, and end of input
        answer(monkeypatch, reply)
        assert site.gw("import", "--forge", "tea", "--user", "dana") == 1
        captured = capsys.readouterr()
        assert "apply these changes? [y/N]" in captured.out
        assert "nothing was changed" in captured.err
        assert site.snapshot() == {} and site.audit() == []
    answer(monkeypatch, "yes\n")
    assert site.gw("import", "--forge", "tea", "--user", "dana", "--id", "dana-x") == 0
    assert "added signer 'dana-x'" in capsys.readouterr().out
    assert site.signer_file("dana-x").is_file()


def test_unverified_keys_only_when_asked_for_and_marked(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "rob", [keys.rob], ssh=[keys.ssh], verified=False)
    assert site.gw("import", "--forge", "tea", "--user", "rob", "-y") == 1
    err = capsys.readouterr().err
    assert "nothing to import from tea/rob" in err
    assert "the forge has not verified it" in err
    assert site.gw("import", "--forge", "tea", "--user", "rob", "--include-unverified", "-y") == 0
    out = capsys.readouterr().out
    assert "(e-mails rob@example.org; NOT verified by the forge)" in out
    text = site.signer_file("rob").read_text()
    assert text.count("source: {forge: tea, user: rob, unverified: true}") == 2


def test_unverified_emails_are_left_aside_and_a_key_with_none_left_out(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = [("dana@example.org", True), ("dana@elsewhere.org", False)]
    site.serve("hub", "dana", [keys.dana], emails=emails)
    assert site.gw("import", "--forge", "hub", "--user", "dana", "-y") == 0
    out = capsys.readouterr().out
    assert "unverified e-mails left aside: dana@elsewhere.org" in out
    assert site.signers().signers[0].emails == ("dana@example.org",)

    site.serve("hub", "rob", [keys.rob], emails=[("rob@example.org", False)])
    assert site.gw("import", "--forge", "hub", "--user", "rob", "-y") == 1
    assert "has verified none of its e-mails (rob@example.org)" in capsys.readouterr().err
    # Taken anyway, it brings no e-mail: the admin names one.
    args = ("import", "--forge", "hub", "--user", "rob", "--include-unverified", "-y")
    assert site.gw(*args) == 1
    assert "would have no e-mail" in capsys.readouterr().err
    assert site.gw(*args, "--email", "rob@example.org", "--name", "Rob R") == 0
    rob = site.signers().by_id("rob")
    assert rob is not None and (rob.name, rob.emails) == ("Rob R", ("rob@example.org",))


def test_a_key_gitea_cannot_export_is_left_out(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "sam", [keys.sam, keys.rob], exported=[keys.rob])
    note = "The keys with the following IDs couldn't be exported and need to be reuploaded "
    site.export.publish("sam", [keys.rob], note + keys.sam.key_id)  # as Gitea says it
    assert site.gw("import", "--forge", "tea", "--user", "sam", "-y") == 0
    out = capsys.readouterr().out
    assert f"leave out OpenPGP key {keys.sam.key_id}: the forge keeps no complete copy" in out
    assert site.export.seen == ["/sam.gpg"]


def test_a_github_key_without_raw_key_is_left_out(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("hub", "dana", [keys.dana], raw=False)
    assert site.gw("import", "--forge", "hub", "--user", "dana", "-y") == 1
    assert "the forge sent nothing gitward can read as the key" in capsys.readouterr().err
    assert site.export.seen == []


def test_import_updates_a_signer_added_by_hand(
    site: Site, keys: kf.KeySet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "dana.asc"
    key_file.write_bytes(keys.dana.armored())
    (tmp_path / "carol.pub").write_text(gwkeys.ssh_public_key("carol") + "\n")
    add = ["add", "dana", "--name", "Dana", "--email", "dana@example.org", "--gpg-key"]
    assert site.gw(*add, str(key_file), "--ssh-key", str(tmp_path / "carol.pub")) == 0
    before = site.signer_file("dana").read_text()
    site.serve("hub", "dana", [keys.dana, keys.rob], ssh=[keys.ssh])
    args = ["import", "--forge", "hub", "--user", "dana", "--group", "maintainers", "-y"]
    assert site.gw(*args, "--name", "Dana Example") == 0
    out = capsys.readouterr().out
    assert f"= follow    OpenPGP key {keys.dana.fingerprint}: added by hand" in out
    assert "name        Dana Example" in out
    assert "+ group     maintainers" in out
    text = site.signer_file("dana").read_text()
    assert text.startswith(before.split("\n", 2)[0])  # the header comment of `add` is kept
    assert text.count("source: {forge: hub, user: dana}") == 3  # dana's (followed), rob's, ssh
    signer = site.signers().by_id("dana")
    assert signer is not None
    assert signer.groups == ("maintainers",)
    assert len(signer.ssh_keys) == 2  # carol's key, added by hand, stays
    assert site.audit()[-1]["details"]["followed"] == [keys.dana.fingerprint]
    # Again: nothing to change.
    assert site.gw(*args) == 0
    assert "signer 'dana' is up to date" in capsys.readouterr().out


def test_a_key_of_another_signer_is_left_out(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana])
    assert site.gw("import", "--forge", "tea", "--user", "dana", "-y") == 0
    site.serve("hub", "dana", [keys.dana, keys.rob])
    assert site.gw("import", "--forge", "hub", "--user", "dana", "--id", "d2", "-y") == 0
    out = capsys.readouterr().out
    assert f"leave out OpenPGP key {keys.dana.fingerprint}: it belongs to signer 'dana'" in out
    assert f"+ add       OpenPGP key {keys.rob.fingerprint}" in out
    # One forge account, one signer.
    assert site.gw("import", "--forge", "tea", "--user", "dana", "--id", "d3", "-y") == 1
    assert "tea/dana is already imported as signer 'dana'" in capsys.readouterr().err


def test_a_forge_that_cannot_list_everything_changes_nothing(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana])
    site.tea.on("GET", "/users/dana/keys", Answer(500, {"message": "boom"}))
    site.tea.on("GET", "/users/dana/keys", Answer(404, {"message": "no such user"}))
    assert site.gw("import", "--forge", "tea", "--user", "dana", "-y") == 1
    assert "HTTP 404: no such user" in capsys.readouterr().err
    assert site.snapshot() == {}


def test_a_forge_that_stays_down_is_reported_and_changes_nothing(
    site: Site, keys: kf.KeySet, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitward.receiver import github_app
    from gitward.receiver.forge_client import Retry

    real = github_app.connect
    monkeypatch.setattr(
        github_app,
        "connect",
        lambda forge, environ=None: real(forge, environ, retry=Retry(attempts=1, pace=0)),
    )
    site.hub.on("GET", "/users/dana/gpg_keys", Answer(503))
    assert site.gw("import", "--forge", "hub", "--user", "dana", "-y") == 1
    err = capsys.readouterr().err
    assert "HTTP 503; nothing was changed, try again later" in err
    assert site.snapshot() == {}


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--forge", "nowhere", "--user", "dana"], "no forge named 'nowhere'"),
        (["--forge", "tea"], "--forge takes --user LOGIN"),
        (["--forge", "tea", "--user", "dana", "ABCDEF0123456789"], "--forge takes --user"),
        (["--forge", "tea", "--user", "../admin"], "not a forge user name: '../admin'"),
        (["--forge", "tea", "--user", "dana", "--id", "../x"], "expected a signer id"),
        (["--gnupg", "--user", "dana", "x@example.org"], "--user and --include-unverified go"),
    ],
)
def test_import_refuses_what_it_cannot_do(
    site: Site, keys: kf.KeySet, args: list[str], why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana])
    assert site.gw("import", *args, "-y") == 1
    assert why in capsys.readouterr().err


def test_a_github_app_forge_cannot_list_keys(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    forges = site.config / "forges.yaml"
    text = forges.read_text().replace(
        "    token: env:GW_TEST_TOKEN\n", "    app: {id: 7, private_key: env:GW_KEY}\n", 1
    )
    forges.write_text(text)
    assert site.gw("import", "--forge", "hub", "--user", "dana", "-y") == 1
    assert "signs in as a GitHub App" in capsys.readouterr().err


def test_one_account_per_forge_and_signer(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana])
    site.serve("tea", "dana2", [keys.rob])
    assert site.gw("import", "--forge", "tea", "--user", "dana", "-y") == 0
    assert site.gw("import", "--forge", "tea", "--user", "dana2", "--id", "dana", "-y") == 1
    assert "signer 'dana' follows tea/dana already: one account per forge" in (
        capsys.readouterr().err
    )

"""`gitward signers sync --forge NAME`: every signer imported from the forge brought up to date
in one batch (new keys added, keys gone revoked from the sync on, never deleted), one audit
record per signer; and when the forge cannot be read completely, nothing at all changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gwgpg
import gwkeyforge as kf
import pytest
from gwforge import Answer
from gwsite import Site
from pytest_httpserver import HTTPServer

TOKEN = "gw-test-token-0d27"  # a throwaway value for tests only


@pytest.fixture
def site(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    servers: tuple[HTTPServer, HTTPServer, HTTPServer],
) -> Iterator[Site]:
    monkeypatch.setenv("GITWARD_ACTOR", "timer")
    monkeypatch.setenv("GW_TEST_TOKEN", TOKEN)
    made = Site.make(tmp_path, *servers)
    yield made
    assert made.problems() == []


def imported(site: Site, forge: str, login: str, *extra: str) -> None:
    assert site.gw("import", "--forge", forge, "--user", login, "-y", *extra) == 0


def revoked_since(site: Site, signer: str) -> dict[str, datetime | None]:
    found = site.signers().by_id(signer)
    assert found is not None
    pgp = {k.fingerprint: k.validity.revoked_since for k in found.openpgp_keys}
    return pgp | {k.fingerprint: k.validity.revoked_since for k in found.ssh_keys}


@pytest.mark.parametrize("forge", ["hub", "tea"])
def test_sync_adds_new_keys_and_revokes_gone_ones_in_one_batch(
    site: Site, keys: kf.KeySet, forge: str, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve(forge, "dana", [keys.dana, keys.rob], ssh=[keys.ssh])
    site.serve(forge, "sam", [keys.sam])
    imported(site, forge, "dana", "--include-unverified")
    imported(site, forge, "sam")
    capsys.readouterr()
    # dana drops her RSA key and her SSH key; sam adds a key.
    extra = kf.ed25519(gwgpg.new_home(), "Sam Second <sam@example.org>")
    site.serve(forge, "dana", [keys.dana])
    site.serve(forge, "sam", [keys.sam, extra])
    before = datetime.now(UTC).replace(microsecond=0)
    assert site.gw("sync", "--forge", forge) == 0
    out = capsys.readouterr().out
    after = datetime.now(UTC)
    assert f"- revoke    {keys.rob.fingerprint} from " in out
    assert ": no longer on the forge" in out
    assert f"+ add       OpenPGP key {extra.fingerprint}" in out
    dana = revoked_since(site, "dana")
    when = dana[keys.rob.fingerprint]
    assert when is not None and before <= when <= after
    assert dana[keys.dana.fingerprint] is None
    assert len([w for w in dana.values() if w == when]) == 2  # the RSA key and the SSH key
    assert "updated signer 'dana'" in out and "updated signer 'sam'" in out
    records = [r for r in site.audit() if r["event"] == "signers.sync"]
    assert [(r["signer"], r["actor"]) for r in records] == [("dana", "timer"), ("sam", "timer")]
    assert sorted(records[0]["details"]["revoked"]) == sorted(
        k for k, w in dana.items() if w is not None
    )
    assert records[0]["details"]["revoked_since"] == when.isoformat().replace("+00:00", "Z")
    assert records[1]["details"]["added"] == [extra.fingerprint]
    # Still listed key files stay: a revoked key is never deleted.
    assert (site.config / "signers" / "keys" / f"{keys.rob.fingerprint}.asc").is_file()
    # The next run finds nothing to do, and gone stays gone.
    assert site.gw("sync", "--forge", forge) == 0
    assert "2 signers imported from " + forge + ": up to date" in capsys.readouterr().out
    assert revoked_since(site, "dana")[keys.rob.fingerprint] == when


def test_a_new_key_is_added_with_its_emails(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana])
    imported(site, "tea", "dana")
    site.serve("tea", "dana", [keys.dana, keys.sam])
    assert site.gw("sync", "--forge", "tea", "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"+ add       OpenPGP key {keys.sam.fingerprint}" in out
    assert "dry run: 1 signer would change; nothing was" in out
    assert keys.sam.fingerprint not in revoked_since(site, "dana")
    assert site.gw("sync", "--forge", "tea") == 0
    dana = site.signers().by_id("dana")
    assert dana is not None and dana.emails == ("dana@example.org", "sam@example.org")
    assert revoked_since(site, "dana")[keys.sam.fingerprint] is None


def test_why_a_listed_key_is_kept_or_revoked(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("hub", "dana", [keys.dana, keys.rob, keys.sam])
    site.serve("tea", "rob", [keys.old], verified=False)
    imported(site, "hub", "dana")
    # The forge now says rob's key is revoked, stops listing sam's e-mail as verified and
    # keeps no raw copy of dana's: revoked, revoked, kept.
    site.hub.forget_answers()
    items = [
        kf.github_gpg(keys.dana, raw=False),
        kf.github_gpg(keys.rob, revoked=True, number=2),
        kf.github_gpg(keys.sam, emails=[("sam@example.org", False)], number=3),
    ]
    site.hub.on("GET", "/users/dana/gpg_keys", Answer(json=items))
    site.hub.on("GET", "/users/dana/ssh_signing_keys", Answer(json=[]))
    assert site.gw("sync", "--forge", "hub") == 0
    out = capsys.readouterr().out
    assert f"- revoke    {keys.rob.fingerprint} from" in out and "Z: revoked" in out
    assert f"- revoke    {keys.sam.fingerprint} from" in out
    assert "has verified none of its e-mails (sam@example.org)" in out
    assert f"    keep      {keys.dana.fingerprint}: the forge sent nothing" in out
    state = revoked_since(site, "dana")
    assert state[keys.dana.fingerprint] is None
    assert state[keys.rob.fingerprint] is not None and state[keys.sam.fingerprint] is not None
    # A key that comes back is not taken back.
    site.serve("hub", "dana", [keys.dana, keys.rob, keys.sam])
    assert site.gw("sync", "--forge", "hub") == 0
    assert "the signer file revokes it since" in capsys.readouterr().out
    assert revoked_since(site, "dana") == state


def test_keys_taken_unverified_stay_while_listed(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "rob", [keys.rob], ssh=[keys.ssh])
    imported(site, "tea", "rob", "--include-unverified")
    assert site.gw("sync", "--forge", "tea") == 0
    out = capsys.readouterr().out
    assert "keep      SHA256:" in out and "the forge does not say if it verified it" in out
    assert "up to date" in out
    assert all(w is None for w in revoked_since(site, "rob").values())


def test_an_expired_key_is_kept_and_its_renewal_taken(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = gwgpg.new_home()
    soon = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    key = kf.ed25519(home, "Eve Soon <eve@example.org>", expire=soon)
    site.serve("tea", "eve", [key])
    imported(site, "tea", "eve")
    stored = site.config / "signers" / "keys" / f"{key.fingerprint}.asc"
    first = stored.read_bytes()
    gwgpg.gpg(home, "--quick-set-expire", key.fingerprint, "5y")
    site.serve("tea", "eve", [key])
    assert site.gw("sync", "--forge", "tea") == 0
    out = capsys.readouterr().out
    assert f"~ update    OpenPGP key {key.fingerprint}: the forge's copy adds" in out
    assert stored.read_bytes() != first
    assert site.audit()[-1]["details"]["refreshed"] == [key.fingerprint]
    (signer,) = site.signers().signers
    expires = signer.openpgp_keys[0].expires_at
    assert expires is not None and expires > datetime.now(UTC) + timedelta(days=1000)


def test_a_page_error_changes_nothing_and_fails(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana, keys.rob])
    site.serve("tea", "sam", [keys.sam])
    imported(site, "tea", "dana")
    imported(site, "tea", "sam")
    before, records = site.snapshot(), site.audit()
    site.serve("tea", "dana", [keys.dana])  # would revoke rob's key...
    full = gwkeyforge_items(keys, 50)
    site.tea.on(
        "GET",
        "/users/sam/gpg_keys",
        Answer(json=full, headers={"X-Total-Count": "51"}),
        Answer(500, {"message": "database is locked"}),
        Answer(404, {"message": "page vanished"}),
    )
    assert site.gw("sync", "--forge", "tea") == 1
    assert "HTTP 404: page vanished" in capsys.readouterr().err
    assert site.snapshot() == before and site.audit() == records


def gwkeyforge_items(keys: kf.KeySet, n: int) -> list[dict[str, object]]:
    one = kf.gitea_gpg(keys.sam)
    return [{**one, "id": i, "key_id": f"{i:016X}"} for i in range(1, n + 1)]


def test_a_partial_listing_changes_nothing_and_fails(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana, keys.rob])
    imported(site, "tea", "dana")
    before = site.snapshot()
    items = [kf.gitea_gpg(keys.dana)]
    site.tea.on("GET", "/users/dana/gpg_keys", Answer(json=items, headers={"X-Total-Count": "2"}))
    assert site.gw("sync", "--forge", "tea") == 1
    assert "the forge counts 2 items but gave 1" in capsys.readouterr().err
    assert site.snapshot() == before


def test_a_sync_with_nobody_to_follow(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    assert site.gw("sync", "--forge", "tea") == 0
    assert "0 signers imported from tea: up to date" in capsys.readouterr().out
    assert site.gw("sync", "--forge", "nowhere") == 1
    assert "no forge named 'nowhere'" in capsys.readouterr().err


def test_a_signer_following_two_accounts_of_a_forge_stops_the_sync(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.serve("tea", "dana", [keys.dana, keys.rob])
    imported(site, "tea", "dana")
    file = site.signer_file("dana")
    text = file.read_text()
    first = text.index("{forge: tea, user: dana}")
    file.write_text(text[:first] + "{forge: tea, user: other}" + text[first + 24 :])  # by hand
    before = site.snapshot()
    assert site.gw("sync", "--forge", "tea") == 1
    assert "signer 'dana' follows two accounts of tea" in capsys.readouterr().err
    assert site.snapshot() == before

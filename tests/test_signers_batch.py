"""One import or sync is one batch: all its signer files replaced, or none. A stale plan, a
failed write, a failed audit record, a crash half-way and a change the loader would refuse
all leave the signers as they were (and say so)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gwgpg
import gwkeyforge as kf
import pytest
from gwsite import Site
from pytest_httpserver import HTTPServer

from gitward import config
from gitward.audit import log as audit
from gitward.config import files, forges_file
from gitward.errors import SignerEditError
from gitward.signers import batch, importing, journal, plan
from gitward.signers.candidates import Candidate, Sorted
from gitward.signers.state import Origin, State

TOKEN = "gw-test-token-b47c"  # a throwaway value for tests only


@pytest.fixture
def site(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    servers: tuple[HTTPServer, HTTPServer, HTTPServer],
    keys: kf.KeySet,
) -> Iterator[Site]:
    """dana (her key and rob's) and sam (his key and an SSH key) imported from Gitea; then
    rob's key leaves dana's account and the SSH key sam's: a sync changes both signers."""
    monkeypatch.setenv("GITWARD_ACTOR", "tester")
    monkeypatch.setenv("GW_TEST_TOKEN", TOKEN)
    made = Site.make(tmp_path, *servers)
    made.serve("tea", "dana", [keys.dana, keys.rob])
    made.serve("tea", "sam", [keys.sam], ssh=[keys.ssh])
    for login, extra in (("dana", ()), ("sam", ("--include-unverified",))):
        assert made.gw("import", "--forge", "tea", "--user", login, "-y", *extra) == 0
    made.serve("tea", "dana", [keys.dana])  # rob's key leaves dana's account
    made.serve("tea", "sam", [keys.sam])  # and the SSH key sam's
    yield made
    assert made.problems() == []


def located(site: Site) -> config.Located:
    return config.locate(site.config)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def sync_plan(site: Site) -> tuple[batch.Planner, list[plan.Change]]:
    from gitward.receiver import github_app

    forges = forges_file.load(site.config / "forges.yaml")
    forge = forges.forge("tea")
    assert forge is not None
    client = github_app.connect(forge)
    when = now()
    return importing.plan_sync(
        located(site), "tea", lambda login: importing.read_forge(client, login, when), when
    )


def test_both_signers_change_in_one_batch(site: Site) -> None:
    planner, changes = sync_plan(site)
    applied = importing.apply_sync(located(site), planner, changes, changes[0].at)
    assert [c.signer for c in applied.changes] == ["dana", "sam"]
    assert [r["signer"] for r in site.audit() if r["event"] == "signers.sync"] == ["dana", "sam"]
    assert not (site.config / "signers" / journal.NAME).exists()


def test_a_plan_that_no_longer_holds_is_refused(site: Site, keys: kf.KeySet) -> None:
    planner, changes = sync_plan(site)
    assert site.gw("revoke", "dana", "--key", keys.dana.fingerprint, "--since", "2020-01-01") == 0
    before = site.snapshot()
    with pytest.raises(SignerEditError, match="changed since the plan was made"):
        importing.apply_sync(located(site), planner, changes, changes[0].at)
    assert site.snapshot() == before


def test_a_new_follower_during_the_sync_is_refused(site: Site, keys: kf.KeySet) -> None:
    planner, _ = sync_plan(site)
    newbie = kf.ed25519(gwgpg.new_home(), "New Bie <new@example.org>")
    site.serve("tea", "newbie", [newbie])
    assert site.gw("import", "--forge", "tea", "--user", "newbie", "-y") == 0
    with pytest.raises(SignerEditError, match="signers imported from tea changed during"):
        planner(State.load(site.config / "signers", now()))


def test_a_failed_write_rolls_every_file_back(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    before, records = site.snapshot(), site.audit()
    real = files.atomic_write
    calls: list[Path] = []

    def flaky(path: Path, data: bytes, mode: int = 0o644) -> None:
        calls.append(path)
        if path.name == "sam.yaml":  # dana's file is already replaced by then
            raise OSError(28, "No space left on device")
        real(path, data, mode)

    monkeypatch.setattr(files, "atomic_write", flaky)
    planner, changes = sync_plan(site)
    with pytest.raises(SignerEditError, match=r"No space left on device\); nothing was changed"):
        importing.apply_sync(located(site), planner, changes, changes[0].at)
    assert [p.name for p in calls][:3] == [journal.NAME, "dana.yaml", "sam.yaml"]
    assert site.snapshot() == before and site.audit() == records


def test_a_failed_audit_record_rolls_back_and_says_so(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = site.snapshot()
    real = audit.append
    seen: list[str] = []

    def second_fails(path: Path, record: dict[str, Any], deadline: object = None) -> None:
        seen.append(str(record["event"]))
        if len(seen) == 2:
            raise OSError(5, "Input/output error")
        real(path, record)

    monkeypatch.setattr(audit, "append", second_fails)
    planner, changes = sync_plan(site)
    with pytest.raises(SignerEditError, match=r"Input/output error.*the change was undone"):
        importing.apply_sync(located(site), planner, changes, changes[0].at)
    assert site.snapshot() == before
    events = [(r["event"], r["signer"]) for r in site.audit()][-2:]
    assert events == [("signers.sync", "dana"), ("signers.rollback", None)]
    assert set(site.audit()[-1]["details"]["restored"]) == {"dana.yaml", "sam.yaml"}


def test_a_batch_cut_short_is_rolled_back_by_the_next(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = site.snapshot()

    def crash(directory: Path) -> None:
        raise KeyboardInterrupt  # the process dies before it removes the journal

    real = journal.finish
    monkeypatch.setattr(journal, "finish", crash)
    planner, changes = sync_plan(site)
    with pytest.raises(KeyboardInterrupt):
        importing.apply_sync(located(site), planner, changes, changes[0].at)
    monkeypatch.setattr(journal, "finish", real)
    assert site.snapshot() != before  # written, and the journal is there
    assert (site.config / "signers" / journal.NAME).exists()
    # sam's file is edited by hand before anybody notices: left as it is.
    sam = site.signer_file("sam")
    sam.write_text(sam.read_text() + "# checked by hand\n")
    assert site.gw("sync", "--forge", "tea", "--dry-run") == 0  # a dry run changes nothing
    assert "waits to be rolled back" in capsys.readouterr().err
    assert (site.config / "signers" / journal.NAME).exists()
    assert site.gw("sync", "--forge", "tea") == 0
    err = capsys.readouterr().err
    assert "rolled back an interrupted batch edit first" in err
    assert "restored: dana.yaml" in err and "left alone: sam.yaml" in err
    rollback = next(r for r in site.audit() if r["event"] == "signers.rollback")
    assert rollback["details"]["left"] == ["sam.yaml"]
    assert rollback["details"]["why"] == "an interrupted batch edit was rolled back"
    assert not (site.config / "signers" / journal.NAME).exists()


def test_a_journal_that_cannot_be_read_stops_every_batch(site: Site) -> None:
    (site.config / "signers" / journal.NAME).write_text("{not json")
    planner, changes = sync_plan(site)
    with pytest.raises(SignerEditError, match="cannot be rolled back"):
        importing.apply_sync(located(site), planner, changes, changes[0].at)


def test_a_rollback_that_cannot_be_recorded_keeps_its_journal(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = journal.begin(site.config / "signers", [])
    assert entries == []

    def fails(path: Path, record: dict[str, Any], deadline: object = None) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(audit, "append", fails)
    with pytest.raises(SignerEditError, match=r"Permission denied.*was rolled back"):
        journal.recover(located(site))
    assert (site.config / "signers" / journal.NAME).exists()


def test_a_change_the_loader_would_refuse_is_never_written(site: Site, keys: kf.KeySet) -> None:
    before = site.snapshot()
    when = now()
    liar = Candidate("openpgp", keys.old.fingerprint, keys.sam.armored(), "a lie")
    change = plan.Change("dana", Origin("tea", "dana"), False, when, added=(liar,))
    with pytest.raises(SignerEditError, match=r"(?s)refusing the change.*primary fingerprint"):
        batch.apply(located(site), lambda state: [change], None, event="signers.sync", now=when)
    taken = Candidate("openpgp", keys.sam.fingerprint, keys.sam.armored(), "sam's")
    change = change._replace(added=(taken,))
    with pytest.raises(SignerEditError, match="would belong to signers 'sam' and 'dana'"):
        batch.apply(located(site), lambda state: [change], None, event="signers.sync", now=when)
    assert site.snapshot() == before


def test_a_scheduled_revocation_is_moved_to_the_sync(site: Site, keys: kf.KeySet) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    args = ("revoke", "dana", "--key", keys.rob.fingerprint, "--since", later)
    assert site.gw(*args) == 0
    _, changes = sync_plan(site)
    dana = next(c for c in changes if c.signer == "dana")
    assert dana.revoked == ((keys.rob.fingerprint, "no longer on the forge"),)


def test_gnupg_keys_are_never_revoked_and_keys_from_elsewhere_never_refreshed(
    site: Site, keys: kf.KeySet
) -> None:
    when = now()
    state = State.load(site.config / "signers", when)
    gnupg = Origin(gnupg="default")
    wanted = plan.Wanted("dana", gnupg)
    offered = Sorted((Candidate("openpgp", keys.dana.fingerprint, keys.dana.armored(), "d"),))
    change = plan.for_import(state, wanted, offered, when)
    assert (change.revoked, change.followed, change.refreshed, change.edits) == ((), (), (), False)
    with pytest.raises(SignerEditError, match="signer 'nobody' is gone"):
        plan.for_sync(state, "nobody", Origin("tea", "x"), Sorted(), when)


def test_the_journal_records_old_contents(site: Site) -> None:
    target = site.signer_file("dana")
    entries = journal.begin(site.config / "signers", [(target, b"new")])
    recorded = json.loads((site.config / "signers" / journal.NAME).read_text())["files"]
    assert recorded == entries and entries[0]["path"] == "dana.yaml"
    files.atomic_write(target, b"new")
    done = journal.roll_back(site.config / "signers", entries)
    assert done.restored == ("dana.yaml",) and b"new" not in target.read_bytes()
    journal.finish(site.config / "signers")


def test_a_failed_import_leaves_no_new_file_behind(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = site.snapshot()
    newbie = kf.ed25519(gwgpg.new_home(), "New Bie <new@example.org>")
    site.serve("tea", "newbie", [newbie])

    def fails(path: Path, record: dict[str, Any], deadline: object = None) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit, "append", fails)
    assert site.gw("import", "--forge", "tea", "--user", "newbie", "-y") == 1
    assert "the change was undone" in capsys.readouterr().err
    assert site.snapshot() == before  # neither newbie.yaml nor keys/<FPR>.asc


def test_broken_signer_files_stop_an_import(
    site: Site, keys: kf.KeySet, capsys: pytest.CaptureFixture[str]
) -> None:
    site.signer_file("sam").write_text("id: sam\n")
    assert site.gw("import", "--forge", "tea", "--user", "dana", "-y") == 1
    assert "fix the signer files first" in capsys.readouterr().err


def test_the_first_ssh_key_of_a_signer_from_a_second_forge(site: Site, keys: kf.KeySet) -> None:
    # dana follows tea/dana; her GitHub account adds an SSH key, and her key is held already.
    site.serve("hub", "dana", [keys.dana], ssh=[keys.ssh_rsa])
    assert site.gw("import", "--forge", "hub", "--user", "dana", "--id", "dana", "-y") == 0
    text = site.signer_file("dana").read_text()
    assert f"ssh:\n  - key: {keys.ssh_rsa}\n    source: {{forge: hub, user: dana}}" in text
    assert text.count("source: {forge: tea, user: dana}") == 2  # her key stays tea's

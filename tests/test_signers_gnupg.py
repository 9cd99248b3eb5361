"""`gitward signers import --gnupg`: keys taken from an existing GnuPG keyring through
python-gnupg, named exactly (key id, fingerprint, or `<e-mail>`), with the checks of `add`."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import gwgpg
import gwkeyforge as kf
import gwkeys
import pytest

from gitward.cli import main
from gitward.config import signers_file

POLICY = "settings: {audit_log: audit.jsonl}\nrules: []\n"


class Ring:
    """A GnuPG home with: dana's current key and her expired one, sam's key with a signing
    subkey, rob's RSA key, and a key whose e-mail makes no signer id."""

    def __init__(self) -> None:
        self.home = gwgpg.new_home()
        self.dana = kf.ed25519(self.home, "Dana Example <dana@example.org>")
        self.dana_old = kf.ed25519(
            self.home, "Dana Old <dana@example.org>", expire="1y", at="20200101T000000"
        )
        self.sam, self.sam_sub = kf.with_signing_subkey(self.home, "Sam Split <sam@example.org>")
        self.rob = kf.rsa(self.home, "Rob Rsa <rob@example.org>")
        self.plus = kf.ed25519(self.home, "Plus Sign <first+last@example.org>")


@pytest.fixture(scope="module")
def ring() -> Ring:
    return Ring()


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GITWARD_ACTOR", "tester")
    (tmp_path / "policy.yaml").write_text(POLICY)
    return tmp_path


def gw(cfg: Path, ring: Ring, *args: str) -> int:
    return main(["signers", "--config", str(cfg), "import", "--gnupg", "--homedir",
                 str(ring.home), "--yes", *args])  # fmt: skip


def signers(cfg: Path) -> dict[str, Any]:
    result = signers_file.load_dir(cfg / "signers")
    assert result.problems == []
    return {s.id: s for s in result.signers.signers}


def test_by_email_takes_every_current_key_and_leaves_the_expired_one(
    cfg: Path, ring: Ring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gw(cfg, ring, "dana@example.org", "--group", "maintainers") == 0
    out = capsys.readouterr().out
    assert f"new signer 'dana', keys from gnupg:{ring.home}:" in out
    assert "name        Dana Example" in out
    assert f"+ add       OpenPGP key {ring.dana.fingerprint}" in out
    left = f"leave out OpenPGP key {ring.dana_old.fingerprint}: key {ring.dana_old.fingerprint}"
    assert f"{left} expired on 2020-12-31" in out
    dana = signers(cfg)["dana"]
    assert (dana.name, dana.emails, dana.groups) == ("Dana Example", ("dana@example.org",),
                                                     ("maintainers",))  # fmt: skip
    assert [k.fingerprint for k in dana.openpgp_keys] == [ring.dana.fingerprint]
    text = (cfg / "signers" / "dana.yaml").read_text()
    assert f"source: {{gnupg: {ring.home}}}" in text
    assert "imported with `gitward signers import` from gnupg:" in text


def test_by_fingerprint_key_id_or_subkey(cfg: Path, ring: Ring) -> None:
    fpr = " ".join(ring.rob.fingerprint[i : i + 4] for i in range(0, 40, 4))  # as gpg prints
    assert gw(cfg, ring, fpr, f"0x{ring.sam_sub[-16:].lower()}", "--id", "team") == 0
    team = signers(cfg)["team"]
    assert {k.fingerprint for k in team.openpgp_keys} == {ring.rob.fingerprint,
                                                           ring.sam.fingerprint}  # fmt: skip
    assert set(team.emails) == {"rob@example.org", "sam@example.org"}  # the keys' own e-mails
    assert team.name == "Rob Rsa"


def test_a_key_asked_for_by_id_must_pass_the_checks_of_add(
    cfg: Path, ring: Ring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gw(cfg, ring, ring.dana_old.fingerprint) == 1
    assert "expired on 2020-12-31" in capsys.readouterr().err
    args = (ring.rob.key_id, "--email", "someone@example.org", "--id", "rob")
    assert gw(cfg, ring, *args) == 1
    assert "none of them is someone@example.org" in capsys.readouterr().err
    assert not (cfg / "signers").exists() or signers(cfg) == {}


def test_keys_join_an_existing_signer(
    cfg: Path, ring: Ring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gw(cfg, ring, "dana@example.org") == 0
    assert gw(cfg, ring, ring.rob.key_id, "--id", "dana", "--email", "rob@example.org") == 0
    out = capsys.readouterr().out
    assert "signer 'dana', keys from gnupg:" in out and "+ e-mail    rob@example.org" in out
    assert "name " not in out.split("signer 'dana', keys")[-1]  # an existing name stays
    dana = signers(cfg)["dana"]
    assert len(dana.openpgp_keys) == 2 and dana.name == "Dana Example"
    assert gw(cfg, ring, "dana@example.org") == 0  # nothing new, and nothing revoked
    assert "is up to date" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("selector", "why"),
    [
        ("C359D190", "give a 16-digit key id or the fingerprint"),
        ("ana@example.org", "no such public key"),  # never a substring of dana@example.org
        ("Dana", "not a key id, fingerprint or e-mail"),
        ("0" * 40, "no such public key"),
    ],
)
def test_selectors_are_exact(
    cfg: Path, ring: Ring, selector: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gw(cfg, ring, selector) == 1
    assert why in capsys.readouterr().err


def test_what_the_gnupg_form_refuses(
    cfg: Path, ring: Ring, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gw(cfg, ring) == 1
    assert "name the keys to import" in capsys.readouterr().err
    argv = ["signers", "--config", str(cfg), "import", "--gnupg", "--homedir"]
    assert main([*argv, str(tmp_path / "nope"), "dana@example.org"]) == 1
    assert "no such GnuPG home directory" in capsys.readouterr().err
    assert main([*argv, str(ring.home), "--include-unverified", "dana@example.org"]) == 1
    assert "go with --forge" in capsys.readouterr().err
    assert gw(cfg, ring, ring.rob.fingerprint, "--email", "x+y@example.org") == 1
    assert "none of them is" in capsys.readouterr().err


def test_an_id_is_needed_when_the_email_makes_none(
    cfg: Path, ring: Ring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gw(cfg, ring, "first+last@example.org") == 1
    assert "give the signer's id with --id" in capsys.readouterr().err
    assert gw(cfg, ring, "first+last@example.org", "--id", "plus") == 0


def test_gpgs_default_home(
    cfg: Path, ring: Ring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GNUPGHOME", str(ring.home))
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    argv = ["signers", "--config", str(cfg), "import", "--gnupg", ring.sam.fingerprint]
    assert main(argv) == 0
    assert "keys from gnupg:default:" in capsys.readouterr().out
    assert "source: {gnupg: default}" in (cfg / "signers" / "sam.yaml").read_text()


class _Gpg:
    def __init__(self, *, exported: bytes = b"", fail: Exception | None = None) -> None:
        if fail is not None:
            raise fail
        self.exported = exported

    def list_keys(self, keys: list[str]) -> list[dict[str, object]]:
        return [{"fingerprint": "A" * 40, "uids": ["X <x@example.org>"]}]

    def export_keys(self, keys: list[str], armor: bool) -> bytes:
        return self.exported


def test_when_python_gnupg_cannot_help(
    cfg: Path, ring: Ring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gnupg

    monkeypatch.setattr(gnupg, "GPG", lambda **kw: _Gpg(fail=OSError("Unable to run gpg")))
    assert gw(cfg, ring, "x@example.org") == 1
    assert "cannot run gpg through python-gnupg: Unable to run gpg" in capsys.readouterr().err
    monkeypatch.setattr(gnupg, "GPG", lambda **kw: _Gpg())
    assert gw(cfg, ring, "x@example.org") == 1
    assert f"gpg exported nothing for {'A' * 40}" in capsys.readouterr().err
    monkeypatch.setattr(gnupg, "GPG", lambda **kw: _Gpg(exported=b"garbage"))
    assert gw(cfg, ring, "x@example.org", "--id", "x") == 1
    assert "nothing to import from gnupg:" in capsys.readouterr().err


def test_published_test_keys_stay_refused(
    cfg: Path, gnupghome: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitward.config import published

    monkeypatch.delenv(published.TEST_SUITE_VAR)
    argv = ["signers", "--config", str(cfg), "import", "--gnupg", "--homedir", str(gnupghome)]
    assert main([*argv, "-y", gwkeys.fingerprint("carol")]) == 1
    assert "published" in capsys.readouterr().err

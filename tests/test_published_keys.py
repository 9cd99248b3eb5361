"""Keys whose secret halves gitward publishes (tests/keys; alice and bob were the signers of
early example configurations) are refused wherever a policy is loaded outside the test suite:
by the loader (so by the hook and `gitward config check`) and by `gitward signers add`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import gwgpg
import gwkeys
import pytest
from gwpush import Client, Signer, bare_repo, server_refs, write_config

from gitward import config
from gitward.cli import main
from gitward.config import published
from gitward.errors import ConfigError
from gitward.signing.openpgp.certs import load_cert

POLICY = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
"""
WHY = "its secret key is published in gitward's repository"


@pytest.fixture
def outside_the_test_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(published.TEST_SUITE_VAR, raising=False)


def test_the_list_is_every_key_in_tests_keys() -> None:
    openpgp = {
        fpr
        for file in gwkeys.KEYS_DIR.glob("*.pub.asc")
        for fpr in load_cert(file.read_bytes()).key_fprs
    }
    ssh: set[str] = set()
    for file in gwkeys.KEYS_DIR.glob("*.pub"):
        listed = subprocess.run(
            ["ssh-keygen", "-l", "-E", "sha256", "-f", str(file)],
            capture_output=True,
            text=True,
            check=True,
        )
        ssh.add(listed.stdout.split()[1])
    assert (openpgp, ssh) == (set(published.OPENPGP), set(published.SSH))


@pytest.mark.usefixtures("outside_the_test_suite")
def test_the_loader_refuses_the_old_example_signers(tmp_path: Path) -> None:
    signers = {"alice": Signer(ssh=True), "bob": Signer()}
    path = write_config(tmp_path, POLICY, signers)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    alice, bob = tmp_path / "signers" / "alice.yaml", tmp_path / "signers" / "bob.yaml"
    expected = [
        f"{alice}:6: openpgp[0].fingerprint: expected a key only its owner holds, got "
        f"{gwkeys.fingerprint('alice')}: {WHY} (a throwaway test key): anybody can sign with it",
        f"{alice}:8: ssh[0].key: expected a key only its owner holds, got "
        f"{gwkeys.ssh_fingerprint('alice')}: {WHY} (a throwaway test key): anybody can sign "
        "with it",
        f"{bob}:6: openpgp[0].fingerprint: expected a key only its owner holds, got "
        f"{gwkeys.fingerprint('bob')}: {WHY} (a throwaway test key): anybody can sign with it",
    ]
    assert [p for p in caught.value.problems if WHY in p] == expected


@pytest.mark.usefixtures("outside_the_test_suite")
def test_a_certificate_carrying_a_published_subkey_is_refused(tmp_path: Path) -> None:
    home = gwgpg.new_home()
    fpr = gwgpg.make_key(home, "Dana <dana@example.org>")
    alice_sub = gwkeys.signing_fingerprint("alice")
    cert = gwgpg.graft_subkey(gwgpg.export(home, fpr), gwkeys.public_key("alice"), alice_sub)
    (tmp_path / "signers" / "keys").mkdir(parents=True)
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "signers" / "keys" / f"{fpr}.asc").write_bytes(cert)
    (tmp_path / "signers" / "dana.yaml").write_text(
        f"id: dana\nname: Dana\nemails: [dana@example.org]\ngroups: [maintainers]\n"
        f"openpgp:\n  - fingerprint: {fpr}\n"
    )
    with pytest.raises(ConfigError, match=f"got {alice_sub}: {WHY}"):
        config.load(tmp_path)


@pytest.mark.usefixtures("outside_the_test_suite")
@pytest.mark.parametrize(
    ("flag", "file", "fingerprint"),
    [
        ("--gpg-key", "alice.pub.asc", gwkeys.fingerprint("alice")),
        ("--ssh-key", "alice_ed25519.pub", gwkeys.ssh_fingerprint("alice")),
    ],
)
def test_signers_add_refuses_a_published_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, file: str, fingerprint: str
) -> None:
    write_config(tmp_path, POLICY, {})
    key = gwkeys.KEYS_DIR / file
    argv = ["signers", "add", "alice", "--name", "Alice", "--email", "alice@example.com"]
    code = main([*argv, flag, str(key), "--config", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code != 0
    assert f"key {fingerprint}: {WHY}" in err
    assert not (tmp_path / "signers" / "alice.yaml").exists()


def test_a_hook_outside_the_test_suite_refuses_every_push(tmp_path: Path, gnupghome: Path) -> None:
    """A server whose signer files name a published key applies no policy at all: the
    pusher gets the usual one line, the admin's log names the key."""
    cfg = write_config(tmp_path / "etc", POLICY, {"alice": Signer()})
    server = bare_repo(tmp_path / "srv" / "app.git", cfg)
    client = Client(tmp_path / "work", gnupghome)
    client.commit("signed", sign=("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main", env={published.TEST_SUITE_VAR: ""})
    assert not result.ok
    assert result.gitward == [
        "gitward: push refused: the gitward policy on the server cannot be loaded; ask your "
        "git admin (details in the gitward log)"
    ]
    assert "refs/heads/main" not in server_refs(server)
    log = (cfg.parent / "gitward-errors.log").read_text()
    assert f"got {gwkeys.fingerprint('alice')}: {WHY}" in log
    # The same push inside the test suite (the variable the suite sets) is accepted.
    assert client.push(server, "HEAD:refs/heads/main").ok

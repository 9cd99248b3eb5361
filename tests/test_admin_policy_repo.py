"""The admin page on a policy read from a git repository (`install --config-repo`): an edit
becomes a commit signed with the service's key and pushed through the repository's own hook,
or, without a service key, is refused with the way to make it by hand. Over HTTP."""

from __future__ import annotations

from pathlib import Path

import gwadmin
import gwkeys
import gwreceiver
import gwrepo
import pytest
from flask.testing import FlaskClient
from gwpush import Signer, server_refs, write_config

from gitward.admin import passwords
from gitward.cli import main

MAIN = "refs/heads/main"
POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures: {{signers: [group:maintainers]}}
policy_repository_rules:
  - id: policy
    refs: [refs/heads/main]
    signatures: {{signers: [group:admins], min_distinct_signers: {needed}}}
"""
# carol stands for the service: its signing key is her SSH key.
PEOPLE = {
    "alice": Signer(groups=("admins", "maintainers")),
    "carol": Signer(groups=("admins",), openpgp=False, ssh=True),
}


@pytest.fixture(autouse=True)
def no_user_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def served(tmp: Path, *, needed: int, service_key: bool) -> tuple[Path, FlaskClient]:
    """A policy repository, a config directory pointing at it, and a signed-in admin page."""
    repo = gwrepo.init(tmp / "cfg.git")
    seed = tmp / "seed"
    write_config(seed, POLICY.format(needed=needed), PEOPLE)
    gwrepo.git(seed, "init", "-q", "-b", "main")
    gwrepo.git(seed, "add", "-A")
    gwrepo.git(seed, "commit", "-q", "-m", "policy")
    gwrepo.git(seed, "push", "-q", str(repo), f"HEAD:{MAIN}")
    etc = tmp / "etc"
    assert main(["install", "--config", str(etc), "--config-repo", str(repo)]) == 0
    if service_key:
        with (etc / "policy-repo.yaml").open("a") as out:
            out.write(
                f"edits:\n  signing_key: {gwkeys.ssh_private_key('carol')}\n"
                f"  name: {gwkeys.display_name('carol')}\n  email: {gwkeys.email('carol')}\n"
            )
    gwreceiver.write_forges(etc)
    (etc / "policy.yaml").unlink()  # the helper's stand-in: the repository holds ours
    (etc / "admin.yaml").write_text(
        gwadmin.ADMIN.format(
            public_url="http://127.0.0.1:9", forge_url="http://127.0.0.1:9", attempts=5
        )
    )
    passwords.set_password(etc / "admin-passwords", "root", gwadmin.PASSWORD)
    client = gwadmin.client(gwadmin.app(etc))
    gwadmin.sign_in(client)
    return repo, client


def add_mallory(client: FlaskClient) -> tuple[int, str]:
    page = client.get("/admin/signers")
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = client.post(
        "/admin/signers",
        data={
            "csrf": gwadmin.csrf(page.get_data(as_text=True)),
            "id": "mallory",
            "name": "Mallory Example",
            "emails": gwkeys.email("mallory"),
            "groups": "maintainers",
            "key": gwkeys.public_key("mallory").decode(),
        },
    )
    return answer.status_code, answer.get_data(as_text=True)


def test_an_edit_on_the_page_becomes_a_signed_commit_that_takes_effect(tmp_path: Path) -> None:
    repo, client = served(tmp_path, needed=1, service_key=True)
    before = server_refs(repo)[MAIN]
    status, body = add_mallory(client)
    assert status == 302, body
    after = server_refs(repo)[MAIN]
    raw = gwrepo.git(repo, "cat-file", "commit", after)
    assert f"\nparent {before}\n" in raw
    assert "\ngpgsig -----BEGIN SSH SIGNATURE-----\n" in raw
    assert raw.endswith("Add signer mallory\n\nGitward-Actor: local:root")
    files = gwrepo.git(repo, "ls-tree", "-r", "--name-only", after).split()
    assert "signers/mallory.yaml" in files
    # The next page load reads the new commit.
    assert "Mallory Example" in client.get("/admin/signers/mallory").get_data(as_text=True)


def test_the_policy_repositorys_rules_hold_the_page_back(tmp_path: Path) -> None:
    repo, client = served(tmp_path, needed=2, service_key=True)
    before = server_refs(repo)[MAIN]
    status, body = add_mallory(client)
    assert status == 422
    assert "policy/distinct-signers" in body
    assert server_refs(repo)[MAIN] == before


def test_without_a_service_key_the_page_refuses_with_the_way_by_hand(tmp_path: Path) -> None:
    repo, client = served(tmp_path, needed=1, service_key=False)
    before = server_refs(repo)[MAIN]
    status, body = add_mallory(client)
    assert status == 422
    assert "git commit -S" in body
    assert "edits.signing_key" in body
    assert server_refs(repo)[MAIN] == before

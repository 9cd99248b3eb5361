"""What the admin page calls to edit signers when the policy lives in a git repository: a commit
signed with the service's key, pushed through the repository's own hook (so its rules hold the
edit like anybody's), or a refusal with the way to do it by hand. Function level: the page does
not exist yet."""

from __future__ import annotations

import json
from pathlib import Path

import gwkeys
import gwrepo
import pytest
from gwpush import Signer, server_refs, write_config

from gitward import config
from gitward.cli import main
from gitward.config import Located
from gitward.config.policyrepo import pointer
from gitward.errors import SignerEditError
from gitward.signers import add as signers_add
from gitward.signers import repo_edit as edits

MAIN = "refs/heads/main"
POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules: []
policy_repository_rules:
  - id: policy
    refs: [refs/heads/main]
    signatures: {{signers: [group:admins], min_distinct_signers: {needed}}}
"""
# carol stands for the admin page: the service's key is her SSH key.
PEOPLE = {
    "alice": Signer(groups=("admins",)),
    "carol": Signer(groups=("admins",), openpgp=False, ssh=True),
}
MALLORY = signers_add.NewSigner(
    id="mallory",
    name="Mallory",
    emails=(gwkeys.email("mallory"),),
    groups=("maintainers",),
    gpg_keys=(("mallory.pub.asc", gwkeys.public_key("mallory")),),
)


class Server:
    def __init__(self, tmp: Path, needed: int, *, service_key: bool = True) -> None:
        self.repo = gwrepo.init(tmp / "cfg.git")
        self.seed_work = tmp / "seed"
        write_config(self.seed_work, POLICY.format(needed=needed), PEOPLE)
        gwrepo.git(self.seed_work, "init", "-q", "-b", "main")
        gwrepo.git(self.seed_work, "add", "-A")
        gwrepo.git(self.seed_work, "commit", "-q", "-m", "policy")
        gwrepo.git(self.seed_work, "push", "-q", str(self.repo), f"HEAD:{MAIN}")
        self.seed = server_refs(self.repo)[MAIN]
        self.etc = tmp / "etc"
        args = ["install", "--config", str(self.etc), "--config-repo", str(self.repo)]
        assert main(args) == 0
        if service_key:
            key = gwkeys.ssh_private_key("carol")
            (self.etc / "policy-repo.yaml").write_text(
                (self.etc / "policy-repo.yaml").read_text() + "edits:\n"
                f"  signing_key: {key}\n  name: {gwkeys.display_name('carol')}\n"
                f"  email: {gwkeys.email('carol')}\n"
            )
        self.src = pointer.read(self.etc / "policy-repo.yaml")

    def add_mallory(self, ref: str | None = None) -> edits.Committed:
        def edit(located: Located) -> object:
            return signers_add.add(located, MALLORY, actor="page-user")

        return edits.commit_edit(
            self.src, edit, actor="page-user", message="Add signer mallory", ref=ref
        )

    def audit(self) -> list[dict[str, object]]:
        lines = (self.etc / "audit.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]


@pytest.fixture(autouse=True)
def no_user_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def test_an_edit_becomes_a_signed_commit_judged_by_the_hook(tmp_path: Path) -> None:
    server = Server(tmp_path, needed=1)
    done = server.add_mallory()
    assert (done.parent, done.ref) == (server.seed, MAIN)
    assert server_refs(server.repo)[MAIN] == done.commit
    assert done.warning is None
    raw = gwrepo.git(server.repo, "cat-file", "commit", done.commit)
    assert "\ngpgsig -----BEGIN SSH SIGNATURE-----\n" in raw  # judged good by the hook
    assert f"\ncommitter {gwkeys.display_name('carol')} <{gwkeys.email('carol')}>" in raw
    assert raw.endswith("Add signer mallory\n\nGitward-Actor: page-user")
    files = gwrepo.git(server.repo, "ls-tree", "-r", "--name-only", done.commit).split()
    assert "signers/mallory.yaml" in files
    assert f"signers/keys/{gwkeys.fingerprint('mallory')}.asc" in files
    assert not any(f.endswith(".lock") for f in files)
    # The hook judged the push, with the policy commit it was judged by; then the edit's own
    # record; the next load reads the new commit.
    push, added = server.audit()[-2:]
    assert (push["verdict"], push["policy_commit"]) == ("accepted", server.seed)
    assert (added["event"], added["actor"], added["signer"]) == (
        "signers.add",
        "page-user",
        "mallory",
    )
    loaded = config.load(server.etc)
    assert loaded.policy_commit == done.commit
    assert loaded.signers.by_id("mallory") is not None


def test_the_repositorys_rules_hold_the_page_back_like_anybody(tmp_path: Path) -> None:
    server = Server(tmp_path, needed=2)
    with pytest.raises(SignerEditError) as info:
        server.add_mallory()
    text = str(info.value)
    assert text.startswith(f"{MAIN} refused the edit:\n")
    assert "policy/distinct-signers" in text
    assert server_refs(server.repo)[MAIN] == server.seed
    assert all(r["event"] == "push" for r in server.audit())  # no record of an edit not made
    # A proposal branch: no rule there; a second admin merges it with a signed merge commit.
    done = server.add_mallory(ref="refs/heads/proposals/mallory")
    assert server_refs(server.repo)["refs/heads/proposals/mallory"] == done.commit
    assert server_refs(server.repo)[MAIN] == server.seed


def test_without_a_service_key_the_edit_is_refused_with_the_way_by_hand(tmp_path: Path) -> None:
    server = Server(tmp_path, needed=1, service_key=False)
    with pytest.raises(SignerEditError) as info:
        server.add_mallory()
    assert str(info.value) == (
        f"the policy is read from the git repository {server.repo} ({MAIN}): clone it, edit "
        "the clone with `gitward signers ... --config CLONE`, commit with `git commit -S` and "
        f"push; for the admin page, set edits.signing_key in {server.etc / 'policy-repo.yaml'}"
    )


def test_the_cli_refuses_to_edit_the_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = Server(tmp_path, needed=1, service_key=False)
    argv = ["signers", "remove", "alice", "--config", str(server.etc)]
    assert main(argv) != 0
    assert "the policy is read from the git repository" in capsys.readouterr().err
    copy = server.etc / "policy-state" / "trees" / server.seed / "signers" / "alice.yaml"
    assert copy.exists()


def test_an_edit_that_changes_nothing_or_fails_is_refused(tmp_path: Path) -> None:
    server = Server(tmp_path, needed=1)
    with pytest.raises(SignerEditError, match="the edit changes nothing"):
        edits.commit_edit(server.src, lambda located: None, actor="x", message="nothing")

    def clash(located: Located) -> object:
        taken = MALLORY._replace(id="alice")
        return signers_add.add(located, taken, actor="x")

    with pytest.raises(SignerEditError, match="signer 'alice' already exists"):
        edits.commit_edit(server.src, clash, actor="x", message="clash")
    assert server_refs(server.repo)[MAIN] == server.seed


def test_a_ref_that_moved_meanwhile_refuses_the_edit(tmp_path: Path) -> None:
    server = Server(tmp_path, needed=1)

    def meanwhile(located: Located) -> object:
        moved = gwrepo.commit(server.repo, "someone else", [server.seed])
        gwrepo.set_ref(server.repo, MAIN, moved)
        return signers_add.add(located, MALLORY, actor="x")

    with pytest.raises(SignerEditError, match=f"{MAIN} refused the edit"):
        edits.commit_edit(server.src, meanwhile, actor="x", message="late")


def test_audit_records_that_cannot_be_copied_are_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(tmp_path, needed=1)
    monkeypatch.setattr(config, "locate", lambda path: (_ for _ in ()).throw(OSError("gone")))
    done = server.add_mallory()
    assert done.warning == "the edit's audit records were not written: gone"
    assert server_refs(server.repo)[MAIN] == done.commit


def test_a_push_that_hangs_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(tmp_path, needed=1)
    hook = server.repo / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nsleep 5\n")  # a hook that never answers in time
    monkeypatch.setattr(edits, "PUSH_SECONDS", 0.5)
    with pytest.raises(SignerEditError, match=r"\ngit push took longer than 0.5 s$"):
        server.add_mallory()
    assert server_refs(server.repo)[MAIN] == server.seed

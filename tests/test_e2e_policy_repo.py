"""End to end: a policy that protects itself. The policy and signer files live in a bare
repository on the server (`gitward install --config-repo`), guarded by the same hook with
`policy_repository_rules` that want two different admins; real `git push` through the
installed hooks, real gpg signatures.

An unsigned or single-signed change to the policy is refused; an author's signed commit plus a
second admin's signed merge is accepted and judges the very next push; a step back of the
policy ref (outside the hook, or by force through it) is refused and logged.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import gwkeys
import pytest
from gwpush import Client, Signer, init_bare, server_refs, write_config

from gitward.cli import main as gitward_main

POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: signed-main
    refs: [refs/heads/main]
    signatures: {signers: [group:maintainers]}
policy_repository_rules:
  - id: policy
    refs: [refs/heads/main]
    signatures: {signers: [group:admins], min_distinct_signers: 2}
    protection: {block_force_push: true, block_deletion: true}
"""
SIGNERS = {
    "alice": Signer(groups=("admins", "maintainers")),
    "bob": Signer(groups=("admins",)),
    "carol": Signer(groups=("maintainers",)),
}
MAIN = "refs/heads/main"


class Server:
    """/etc/gitward pointing at srv/infra/gitward-config.git, and srv/app.git, both guarded."""

    def __init__(self, tmp: Path, gnupghome: Path) -> None:
        self.etc = tmp / "etc"
        self.policy_repo = init_bare(tmp / "srv" / "infra" / "gitward-config.git")
        self.app = init_bare(tmp / "srv" / "app.git")
        self.admin = Client(tmp / "admin", gnupghome)  # a clone of the policy repository
        write_config(self.admin.path, POLICY, SIGNERS)
        self.admin.git("add", "-A")
        self.seed = self.admin.commit("Policy: first version", sign=("openpgp", "alice"))
        # Before any hook: how the first version gets there.
        assert self.admin.push(self.policy_repo, f"HEAD:{MAIN}").ok
        argv = ["install", "--config", str(self.etc), "--config-repo", str(self.policy_repo)]
        assert gitward_main([*argv, "--ref", "main", str(self.app)]) == 0
        self.dev = Client(tmp / "dev", gnupghome)

    def audit(self) -> list[dict[str, object]]:
        lines = (self.etc / "audit.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def app_push(self, who: str) -> list[str]:
        """A signed commit by `who` pushed to the app's main: gitward's lines (empty: ok)."""
        self.dev.commit(f"change by {who}", sign=("openpgp", who), who=who)
        result = self.dev.push(self.app, f"HEAD:{MAIN}")
        return [] if result.ok else result.gitward or [result.text]

    def propose_mallory(self, sign: str | None) -> str:
        """The admin clone adds mallory as a maintainer, one commit signed by `sign`."""
        write_config(self.admin.path, POLICY, {**SIGNERS, "mallory": Signer()})
        self.admin.git("add", "-A")
        return self.admin.commit(
            "Add mallory", sign=("openpgp", sign) if sign else None, who=sign or "alice"
        )


@pytest.fixture
def server(tmp_path: Path, gnupghome: Path) -> Server:
    return Server(tmp_path, gnupghome)


def test_install_points_the_config_directory_at_the_repository(server: Server) -> None:
    pointer = (server.etc / "policy-repo.yaml").read_text()
    assert f'repository: "{server.policy_repo}"' in pointer
    assert 'ref: "refs/heads/main"' in pointer
    assert not (server.etc / "policy.yaml").exists()
    state = server.etc / "policy-state" / "last-commit"
    assert state.read_text() == f"{server.seed}\n"  # rollback protection starts at install
    for repo in (server.app, server.policy_repo):  # the policy repository is guarded too
        assert f"GITWARD_CONFIG={server.etc}\n" in (repo / "hooks" / "pre-receive").read_text()


def test_every_decision_records_the_policy_commit(server: Server) -> None:
    assert server.app_push("carol") == []
    assert server.app_push("bob") != []  # bob is an admin, not a maintainer
    records = server.audit()
    assert [(r["verdict"], r["policy_commit"]) for r in records] == [
        ("accepted", server.seed),
        ("refused", server.seed),
    ]


def test_an_unsigned_change_to_the_policy_is_refused(server: Server) -> None:
    server.propose_mallory(sign=None)
    result = server.admin.push(server.policy_repo, f"HEAD:{MAIN}")
    assert not result.ok
    assert "policy/signature" in result.text
    assert server_refs(server.policy_repo)[MAIN] == server.seed


def test_a_change_signed_by_one_admin_is_refused(server: Server) -> None:
    server.propose_mallory(sign="alice")
    result = server.admin.push(server.policy_repo, f"HEAD:{MAIN}")
    assert not result.ok
    assert "policy/distinct-signers" in result.text
    assert "signed by 1 (alice)" in result.text
    assert server_refs(server.policy_repo)[MAIN] == server.seed
    assert server.app_push("mallory") != []  # not a signer: the policy did not change


def test_two_admins_change_the_policy_and_the_next_push_uses_it(server: Server) -> None:
    assert server.app_push("mallory") != []
    change = server.propose_mallory(sign="alice")
    # bob is no maintainer: `rules` would refuse his commit. In the policy repository only
    # `policy_repository_rules` apply, and they want him (a second admin).
    merge = server.admin.commit(
        "Merge: add mallory", sign=("openpgp", "bob"), who="bob", parents=[server.seed, change]
    )
    result = server.admin.push(server.policy_repo, f"HEAD:{MAIN}")
    assert result.ok, result.text
    assert server_refs(server.policy_repo)[MAIN] == merge
    judged = server.audit()[-1]
    assert judged["repository"] == str(server.policy_repo)
    assert judged["policy_commit"] == server.seed  # the change was judged by the old policy
    assert server.app_push("mallory") == []  # the very next push judges with the new policy
    assert server.audit()[-1]["policy_commit"] == merge
    state = server.etc / "policy-state" / "last-commit"
    assert state.read_text() == f"{merge}\n"


def accepted_change(server: Server) -> str:
    change = server.propose_mallory(sign="alice")
    merge = server.admin.commit(
        "Merge: add mallory", sign=("openpgp", "bob"), who="bob", parents=[server.seed, change]
    )
    assert server.admin.push(server.policy_repo, f"HEAD:{MAIN}").ok
    assert server.app_push("mallory") == []  # used once: the state now names `merge`
    return merge


def test_a_rollback_outside_the_hook_is_refused_and_logged(server: Server) -> None:
    merge = accepted_change(server)
    # Someone with the server's file system moves the ref back to the weaker signer list.
    server.admin.git(f"--git-dir={server.policy_repo}", "update-ref", MAIN, server.seed)
    lines = server.app_push("carol")
    assert lines == [
        "gitward: push refused: the gitward policy on the server was moved back to an older "
        "commit; ask your git admin (details in the gitward log)"
    ]
    record = server.audit()[-1]
    assert record["verdict"] == "error"
    assert record["policy_commit"] is None
    error = str(record["error"])
    assert error.startswith("the gitward policy on the server was moved back to an older commit:")
    assert f"names {server.seed}, which does not descend from {merge}" in error
    # Forward again (the ref back at the commit last used): accepted as before.
    server.admin.git(f"--git-dir={server.policy_repo}", "update-ref", MAIN, merge)
    assert server.app_push("carol") == []


def test_a_rollback_by_force_push_is_refused_by_the_policy_repository(server: Server) -> None:
    accepted_change(server)
    result = server.admin.push(server.policy_repo, f"{server.seed}:{MAIN}", force=True)
    assert not result.ok
    assert "policy/force-push" in result.text


def test_a_policy_that_would_not_load_is_refused_however_well_signed(server: Server) -> None:
    # Accepted, it would refuse every push everywhere, the one repairing it included.
    (server.admin.path / "policy.yaml").write_text(POLICY.replace("version: 1", "version: 2"))
    server.admin.git("add", "-A")
    change = server.admin.commit("Policy v2", sign=("openpgp", "alice"))
    server.admin.commit(
        "Merge: v2", sign=("openpgp", "bob"), who="bob", parents=[server.seed, change]
    )
    result = server.admin.push(server.policy_repo, f"HEAD:{MAIN}")
    assert not result.ok
    assert "builtin/policy-ref" in result.text
    assert "does not load: policy.yaml:1: version: expected 1," in result.text
    assert server_refs(server.policy_repo)[MAIN] == server.seed
    assert server.app_push("carol") == []


def test_the_copy_is_the_commits_tree(server: Server) -> None:
    copy = server.etc / "policy-state" / "trees" / server.seed
    committed = server.admin.git("show", f"{server.seed}:signers/alice.yaml")
    assert (copy / "signers" / "alice.yaml").read_text().strip() == committed
    assert gwkeys.fingerprint("alice") in committed


def test_one_admin_cannot_borrow_a_second_admins_signature_from_another_change(
    server: Server,
) -> None:
    # Bob's own harmless proposal, parked on a branch no rule protects (the documented flow).
    (server.admin.path / "README").write_text("typo fixed\n")
    server.admin.git("add", "-A")
    bobs = server.admin.commit("Fix a typo", sign=("openpgp", "bob"), who="bob")
    assert server.admin.push(server.policy_repo, "HEAD:refs/heads/typo").ok
    # Alice alone: her change, merged with Bob's unrelated commit by her own signed merge.
    server.admin.git("reset", "-q", "--hard", server.seed)
    change = server.propose_mallory(sign="alice")
    server.admin.commit("Merge typo", sign=("openpgp", "alice"), parents=[change, bobs])
    result = server.admin.push(server.policy_repo, f"HEAD:{MAIN}")
    assert not result.ok
    assert "policy/distinct-signers" in result.text


def test_a_tree_naming_a_directory_twice_is_refused_though_two_admins_signed(
    server: Server,
) -> None:
    # git itself shows the first `signers` of a tree (`git show`, a checkout, a review's
    # diff); a copy that wrote both would add a signer that no reviewer saw.
    write_config(server.admin.path, POLICY, {**SIGNERS, "mallory": Signer()})
    server.admin.git("add", "-A")
    hidden = server.admin.git("write-tree", "--prefix=signers/")
    server.admin.git("reset", "-q", "--hard", server.seed)
    raw = ["git", "cat-file", "tree", f"{server.seed}^{{tree}}"]
    shown = subprocess.run(raw, cwd=server.admin.path, capture_output=True, check=True).stdout
    extra = b"40000 signers\0" + bytes.fromhex(hidden)
    tree = server.admin.write_raw("tree", shown + extra)
    change = server.admin.git(
        *gwkeys.sign_config("openpgp", "alice"), "commit-tree", "-S", tree, "-p", server.seed,
        input=b"Fix a typo",
    )  # fmt: skip
    server.admin.git("reset", "-q", "--soft", change)
    with pytest.raises(RuntimeError):  # what a reviewer sees: no mallory
        server.admin.git("show", f"{change}:signers/mallory.yaml")
    server.admin.commit(
        "Merge: fix a typo", sign=("openpgp", "bob"), who="bob", parents=[server.seed, change]
    )
    result = server.admin.push(server.policy_repo, f"HEAD:{MAIN}")
    assert not result.ok
    assert "builtin/policy-ref" in result.text
    assert "'signers' appears twice in its" in result.text  # the report wraps lines
    assert server_refs(server.policy_repo)[MAIN] == server.seed
    assert server.app_push("mallory") != []

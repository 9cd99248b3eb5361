"""End to end: symbolic refs on the server (`refs/heads/master -> refs/heads/main`, the alias kept
after renaming a branch) through real pushes. git updates, creates or deletes the target of a
symbolic ref pushed to, so an update through one is refused (`builtin/symbolic-ref`, never
bypassable), and an alias never makes commits count as protected by its name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gwpush import Client, Kind, Pushed, Signer, bare_repo, server_refs, write_config
from gwrepo import git

POLICY = r"""
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: protect-main
    refs: [refs/heads/main, refs/heads/stable]
    bypass: [alice]
    signatures:
      signers: [group:maintainers]
    protection:
      block_force_push: true
      block_deletion: true
  - id: releases
    refs: ["refs/heads/release/*"]
    protection:
      block_creation: true
  - id: tags
    refs: ["refs/tags/**"]
    protection:
      immutable: true
"""
SIGNED: tuple[Kind, str] = ("openpgp", "alice")
ALICE = {"GITHUB_USER_LOGIN": "alice", "GITHUB_REPO_NAME": "org/app"}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("etc"), POLICY, {"alice": Signer()})


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path, server: Path) -> Client:
    c = Client(tmp_path / "work", gnupghome)
    c.commit("base", sign=SIGNED)
    assert c.push(server, "HEAD:refs/heads/main").ok
    return c


def alias(server: Path, name: str, target: str) -> None:
    git(server, "symbolic-ref", name, target)


def refused_through(result: Pushed, name: str, target: str) -> bool:
    lines = result.gitward
    return (
        not result.ok
        and any(line.startswith("gitward:   builtin/symbolic-ref") for line in lines)
        and any(f"{name} is a symbolic ref to {target}" in line for line in lines)
    )


def test_an_unsigned_commit_through_an_alias_of_main_is_refused(
    client: Client, server: Path
) -> None:
    alias(server, "refs/heads/master", "refs/heads/main")
    before = server_refs(server)["refs/heads/main"]
    pushed = client.commit("unsigned")
    result = client.push(server, "HEAD:refs/heads/master")
    assert refused_through(result, "refs/heads/master", "refs/heads/main"), result.text
    assert any(f"`git push origin {pushed}:refs/heads/main`" in ln for ln in result.gitward)
    # no bypass, even for a listed bypasser with a reason
    reason = ["gitward.reason=renamed branch"]
    bypass = client.push(server, "HEAD:refs/heads/master", options=reason, env=ALICE)
    assert refused_through(bypass, "refs/heads/master", "refs/heads/main"), bypass.text
    assert server_refs(server)["refs/heads/main"] == before
    # the same commit pushed to main itself is judged by main's rules
    direct = client.push(server, "HEAD:refs/heads/main")
    assert any("protect-main/signature" in line for line in direct.gitward), direct.text


def test_a_force_push_through_the_alias_is_refused(client: Client, server: Path) -> None:
    alias(server, "refs/heads/master", "refs/heads/main")
    before = server_refs(server)["refs/heads/main"]
    client.git("checkout", "-q", "--orphan", "rewrite")
    client.commit("rewritten history", sign=SIGNED)
    result = client.push(server, "HEAD:refs/heads/master", force=True)
    assert refused_through(result, "refs/heads/master", "refs/heads/main"), result.text
    assert server_refs(server)["refs/heads/main"] == before


def test_deleting_through_the_alias_is_refused(client: Client, server: Path) -> None:
    alias(server, "refs/heads/master", "refs/heads/main")
    result = client.push(server, ":refs/heads/master")
    assert refused_through(result, "refs/heads/master", "refs/heads/main"), result.text
    assert any("`git push origin :refs/heads/main`" in ln for ln in result.gitward)
    assert "refs/heads/main" in server_refs(server)


def test_an_alias_cannot_move_an_immutable_tag(client: Client, server: Path) -> None:
    client.git("tag", "v5.0.0")
    assert client.push(server, "refs/tags/v5.0.0").ok
    alias(server, "refs/tags/latest", "refs/tags/v5.0.0")
    released = server_refs(server)["refs/tags/v5.0.0"]
    client.commit("next", sign=SIGNED)
    result = client.push(server, "HEAD:refs/tags/latest", force=True)
    assert refused_through(result, "refs/tags/latest", "refs/tags/v5.0.0"), result.text
    assert server_refs(server)["refs/tags/v5.0.0"] == released


def test_a_dangling_alias_cannot_create_its_target(client: Client, server: Path) -> None:
    # `release/*` may not be created; `next` matches no rule, but git would create the target.
    alias(server, "refs/heads/next", "refs/heads/release/2.0")
    result = client.push(server, "HEAD:refs/heads/next")
    assert refused_through(result, "refs/heads/next", "refs/heads/release/2.0"), result.text
    assert "refs/heads/release/2.0" not in server_refs(server)


def test_an_alias_chain_names_the_ref_git_would_update(client: Client, server: Path) -> None:
    alias(server, "refs/heads/master", "refs/heads/main")
    alias(server, "refs/heads/trunk", "refs/heads/master")
    client.commit("through two aliases", sign=SIGNED)
    result = client.push(server, "HEAD:refs/heads/trunk")
    assert refused_through(result, "refs/heads/trunk", "refs/heads/main"), result.text


def test_a_protected_alias_of_an_unprotected_branch_protects_nothing(
    client: Client, server: Path
) -> None:
    # `stable` matches protect-main's refs but names `scratch`, which no rule protects.
    parked = client.commit("unsigned, parked on scratch")
    assert client.push(server, "HEAD:refs/heads/scratch").ok
    alias(server, "refs/heads/stable", "refs/heads/scratch")
    result = client.push(server, "HEAD:refs/heads/main")  # a fast-forward onto the parked commit
    assert not result.ok
    assert any(f"protect-main/signature on {parked[:10]}" in ln for ln in result.gitward)
    assert server_refs(server)["refs/heads/main"] != parked


def test_ordinary_pushes_still_pass_beside_aliases(client: Client, server: Path) -> None:
    alias(server, "refs/heads/master", "refs/heads/main")
    alias(server, "refs/heads/next", "refs/heads/release/2.0")
    tip = client.commit("signed", sign=SIGNED)
    assert client.push(server, "HEAD:refs/heads/main").ok
    assert client.push(server, "HEAD:refs/heads/feature").ok
    client.git("tag", "v1.0.0")
    assert client.push(server, "refs/tags/v1.0.0").ok
    refs = server_refs(server)
    assert refs["refs/heads/main"] == refs["refs/heads/master"] == tip


def test_an_alias_inside_a_git_namespace_is_refused(client: Client, server: Path) -> None:
    # Under GIT_NAMESPACE the hook is told `refs/heads/master` while git updates
    # `refs/namespaces/ns/refs/heads/master`, an alias of the namespace's main.
    ns = "GIT_NAMESPACE=ns git-receive-pack"
    assert client.push(server, "HEAD:refs/heads/main", receive_pack=ns).ok
    inside = "refs/namespaces/ns/refs/heads"
    alias(server, f"{inside}/master", f"{inside}/main")
    before = server_refs(server)[f"{inside}/main"]
    client.commit("unsigned")
    result = client.push(server, "HEAD:refs/heads/master", receive_pack=ns)
    assert refused_through(result, "refs/heads/master", "refs/heads/main"), result.text
    assert server_refs(server)[f"{inside}/main"] == before
    assert client.push(server, "HEAD:refs/heads/feature", receive_pack=ns).ok

"""End to end: protected paths and the two-person rule through real pushes to a bare repository
with the hook installed, commits and merges signed by real gpg and ssh-keygen (gwkeys), and the
same verdict from `gitward check`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import gwkeys
import pytest
from gwpush import Client, Kind, Pushed, Signer, audit, bare_repo, server_refs, write_config

from gitward.cli import main as gitward_main

POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: prod
    refs: [refs/heads/main]
    content:
      protected_paths:
        paths: ["clusters/prod/**", "**/networkpolicy*.yaml"]
        signers: [group:maintainers]
        min_signers: 2
"""
SIGNERS = {
    "alice": Signer(ssh=True),
    "bob": Signer(),
    "mallory": Signer(groups=("contractors",)),
}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("etc"), POLICY, SIGNERS)


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path) -> Client:
    return Client(tmp_path / "work", gnupghome)


def change(
    client: Client, message: str, files: dict[str, str | None], by: tuple[Kind, str] | None
) -> str:
    """A commit writing (or, for None, deleting) `files`, signed by `by`."""
    for name, text in files.items():
        if text is None:
            client.git("rm", "-q", name)
            continue
        path = client.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        client.git("add", name)
    who = by[1] if by else "alice"
    return client.commit(message, sign=by, who=who)


def merge(client: Client, by: tuple[Kind, str], what: str) -> str:
    """`git merge --no-ff -S what` on the current branch, as `by` runs it."""
    client.git(*gwkeys.sign_config(*by), "merge", "-q", "--no-ff", "-S", "-m", "merge", what)
    return client.git("rev-parse", "HEAD")


def lines(result: Pushed) -> str:
    """gitward's report as one line (messages are wrapped at the report's width)."""
    return " ".join(line.removeprefix("gitward:").strip() for line in result.gitward)


@pytest.fixture
def on_main(client: Client, server: Path) -> str:
    """main on the server holds a first commit (no protected path), signed by alice."""
    base = change(client, "base", {"README.md": "app\n"}, ("openpgp", "alice"))
    assert client.push(server, "HEAD:refs/heads/main").ok
    return base


@pytest.mark.usefixtures("on_main")
def test_a_protected_change_signed_by_one_signer_is_refused_with_the_missing_signature(
    client: Client, server: Path, config: Path
) -> None:
    before = server_refs(server)
    tip = change(client, "scale", {"clusters/prod/app.yaml": "replicas: 3\n"}, ("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert server_refs(server) == before
    text = lines(result)
    assert f"gitward:   prod/two-person on {tip[:10]}" in result.gitward, result.text
    assert (
        f"clusters/prod/app.yaml: signed by alice ({tip[:10]}) only; needs 1 more distinct "
        "allowed signer (2 of group:maintainers)"
    ) in text
    # The fix, one line per step (the report splits a hint where it says "; ").
    assert (
        "fix: ask another allowed signer (bob) to bring it with a signed merge commit: push "
        "your work to a branch this rule does not protect they fetch it and, on an up-to-date "
        f"main, run `git merge --no-ff -S {tip[:12]}`, then push main"
    ) in text
    assert audit(config)[-1]["violations"][0]["rule_id"] == "prod/two-person"


def test_the_authors_signed_commit_and_a_second_members_signed_merge_are_accepted(
    client: Client, server: Path, on_main: str
) -> None:
    client.git("checkout", "-q", "-b", "scale")
    tip = change(client, "scale", {"clusters/prod/app.yaml": "replicas: 3\n"}, ("openpgp", "alice"))
    refused = client.push(server, "HEAD:refs/heads/main")
    assert not refused.ok
    # What the report says to do: push to an unprotected branch, a second member merges.
    command = re.search(r"run `(git merge --no-ff -S [0-9a-f]{12})`", lines(refused))
    assert command is not None, refused.text
    assert client.push(server, "HEAD:refs/heads/scale").ok
    client.git("checkout", "-q", "main")
    merged = merge(client, ("openpgp", "bob"), command.group(1).split()[-1])
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text
    assert server_refs(server)["refs/heads/main"] == merged
    assert client.git("rev-parse", f"{merged}^1", f"{merged}^2").split() == [on_main, tip]


@pytest.mark.usefixtures("on_main")
def test_a_change_outside_the_protected_paths_signed_once_is_accepted(
    client: Client, server: Path
) -> None:
    change(client, "dev", {"clusters/dev/app.yaml": "replicas: 1\n"}, ("openpgp", "alice"))
    change(client, "docs", {"docs/networkpolicy.md": "how\n"}, ("ssh", "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text


@pytest.mark.usefixtures("on_main")
@pytest.mark.parametrize("second", [("openpgp", "alice"), ("ssh", "alice")])
def test_one_stolen_key_signing_twice_is_one_signer(
    client: Client, server: Path, second: tuple[Kind, str]
) -> None:
    client.git("checkout", "-q", "-b", "sneak")
    tip = change(client, "open", {"apps/networkpolicy-web.yaml": "kind: x\n"}, ("openpgp", "alice"))
    client.git("checkout", "-q", "main")
    merged = merge(client, second, tip)  # the same signer's key (or another key of hers)
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    text = lines(result)
    assert f"gitward:   prod/two-person on {merged[:10]}" in result.gitward, result.text
    assert f"signed by alice ({tip[:10]}) only; needs 1 more" in text


@pytest.mark.usefixtures("on_main")
def test_a_second_signers_commit_of_another_version_does_not_count(
    client: Client, server: Path
) -> None:
    """bob's signed proposal, merged in by alice's (stolen) key and then overwritten: bob never
    signed what main would get."""
    client.git("checkout", "-q", "-b", "bobs")
    change(client, "bob's", {"clusters/prod/app.yaml": "replicas: 2\n"}, ("openpgp", "bob"))
    assert client.push(server, "HEAD:refs/heads/bobs").ok
    client.git("checkout", "-q", "main")
    merge(client, ("openpgp", "alice"), "bobs")
    tip = change(client, "mine", {"clusters/prod/app.yaml": "replicas: 0\n"}, ("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert f"gitward:   prod/two-person on {tip[:10]}" in result.gitward, result.text
    assert f"signed by alice ({tip[:10]}) only; needs 1 more" in lines(result)


@pytest.mark.usefixtures("on_main")
def test_deleting_a_protected_file_is_a_change(client: Client, server: Path) -> None:
    policy = "clusters/prod/networkpolicy-deny-all.yaml"
    client.git("checkout", "-q", "-b", "add")
    added = change(client, "add", {policy: "deny\n"}, ("openpgp", "alice"))
    client.git("checkout", "-q", "main")
    merge(client, ("openpgp", "bob"), added)
    assert client.push(server, "HEAD:refs/heads/main").ok
    removed = change(client, "remove", {policy: None}, ("openpgp", "bob"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert f"gitward:   prod/two-person on {removed[:10]}" in result.gitward, result.text
    assert f"{policy}: signed by bob ({removed[:10]}) only; needs 1 more" in lines(result)


@pytest.mark.usefixtures("on_main")
def test_a_merge_by_someone_not_allowed_is_named_with_the_signatures_wording(
    client: Client, server: Path
) -> None:
    client.git("checkout", "-q", "-b", "side")
    tip = change(client, "edit", {"clusters/prod/db.yaml": "size: 2\n"}, ("openpgp", "alice"))
    client.git("checkout", "-q", "main")
    merged = merge(client, ("openpgp", "mallory"), tip)
    result = client.push(server, "HEAD:refs/heads/main")
    text = lines(result)
    assert f"gitward:   prod/path-signature on {merged[:10]}" in result.gitward, result.text
    assert "brings protected clusters/prod/db.yaml, but is signed by key" in text
    assert "(mallory) which is not allowed to sign for refs/heads/main" in text
    assert "prod/two-person" in text


def test_a_sync_merge_repeating_mains_change_is_no_change(
    client: Client, server: Path, on_main: str
) -> None:
    """Merging main into a branch repeats main's reviewed change: pushing the branch's work to
    main changes only what the branch itself changes."""
    client.git("checkout", "-q", "-b", "work")
    change(client, "readme", {"README.md": "work\n"}, ("openpgp", "alice"))
    client.git("checkout", "-q", "-b", "v2", on_main)
    v2 = change(client, "v2", {"clusters/prod/app.yaml": "v2\n"}, ("openpgp", "alice"))
    client.git("checkout", "-q", "main")
    merge(client, ("openpgp", "bob"), v2)
    assert client.push(server, "HEAD:refs/heads/main").ok
    client.git("checkout", "-q", "work")
    synced = merge(client, ("openpgp", "alice"), "main")  # changes app.yaml against work
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text
    assert server_refs(server)["refs/heads/main"] == synced


def test_gitward_check_gives_the_same_rule_id(
    client: Client, config: Path, on_main: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client.git("checkout", "-q", "-b", "scale")
    tip = change(client, "scale", {"clusters/prod/app.yaml": "replicas: 3\n"}, ("openpgp", "alice"))
    code = gitward_main(["check", "--config", str(config), "--repo", str(client.path),
                         "--ref", "main", "--json", f"{on_main}..{tip}"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [v["rule_id"] for v in out["violations"]] == ["prod/two-person"]
    assert f"signed by alice ({tip[:10]}) only; needs 1 more" in out["violations"][0]["message"]
    client.git("checkout", "-q", "main")
    merged = merge(client, ("openpgp", "bob"), tip)
    code = gitward_main(["check", "--config", str(config), "--repo", str(client.path),
                         "--ref", "main", "--json", f"{on_main}..{merged}"])  # fmt: skip
    assert (code, json.loads(capsys.readouterr().out)["violations"]) == (0, [])

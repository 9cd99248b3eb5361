"""`gitward install --config-repo PATH --ref main`: checks before it writes, points the config
directory at the repository, records the commit, and guards the policy repository itself."""

from __future__ import annotations

from pathlib import Path

import gwrepo
import pytest

from gitward.cli import main
from gitward.config.policyrepo import setup
from gitward.errors import GitwardError

POLICY = b"version: 1\nrules: []\n"


def policy_repo(path: Path, policy: bytes = POLICY, ref: str = "refs/heads/main") -> str:
    """A bare repository at `path` whose `ref` holds policy.yaml; returns the commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gwrepo.init(path)
    blob = gwrepo.git(path, "hash-object", "-w", "--stdin", input=policy)
    tree = gwrepo.git(path, "mktree", input=f"100644 blob {blob}\tpolicy.yaml\n".encode())
    commit = gwrepo.commit(path, "policy", tree=tree)
    gwrepo.set_ref(path, ref, commit)
    return commit


def install(*args: str) -> int:
    return main(["install", *args])


def test_install_writes_the_pointer_and_guards_both_repositories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit = policy_repo(tmp_path / "cfg.git")
    app = gwrepo.init(tmp_path / "app.git")
    etc = tmp_path / "etc"
    assert install("--config", str(etc), "--config-repo", str(tmp_path / "cfg.git"), str(app)) == 0
    pointer = etc / "policy-repo.yaml"
    assert f'repository: "{tmp_path / "cfg.git"}"' in pointer.read_text()
    assert (etc / "policy-state" / "last-commit").read_text() == f"{commit}\n"
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{pointer}: written (policy: {tmp_path / 'cfg.git'} refs/heads/main at {commit})",
        f"{app}: installed",
        f"{tmp_path / 'cfg.git'}: installed",
    ]
    # Again, from a timer: nothing changes, and a hand-added key of the pointer stays.
    pointer.write_text(pointer.read_text() + "state_dir: policy-state\n")
    args = ["--config", str(etc), "--config-repo", f"file://{tmp_path / 'cfg.git'}", "--ref"]
    assert install(*args, "refs/heads/main", "--quiet", str(app), str(tmp_path / "cfg.git")) == 0
    assert capsys.readouterr().out == ""
    assert pointer.read_text().endswith("state_dir: policy-state\n")


def test_the_policy_repository_alone_is_enough(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy_repo(tmp_path / "cfg.git", ref="refs/heads/policy")
    etc = tmp_path / "etc"
    etc.mkdir()
    # --config may name the pointer itself; --ref a short branch name.
    args = ["--config", str(etc / "policy-repo.yaml"), "--ref", "policy"]
    assert install(*args, "--config-repo", str(tmp_path / "cfg.git")) == 0
    assert 'ref: "refs/heads/policy"' in (etc / "policy-repo.yaml").read_text()
    hook = (tmp_path / "cfg.git" / "hooks" / "pre-receive").read_text()
    assert f"GITWARD_CONFIG={etc}\n" in hook
    # Another repository or ref: the pointer is rewritten.
    policy_repo(tmp_path / "other.git")
    assert install("--config", str(etc), "--config-repo", str(tmp_path / "other.git")) == 0
    assert "written" in capsys.readouterr().out
    assert str(tmp_path / "other.git") in (etc / "policy-repo.yaml").read_text()


def test_a_gitea_install_guards_the_policy_repository_through_pre_receive_d(
    tmp_path: Path,
) -> None:
    root = tmp_path / "gitea"
    policy_repo(root / "infra" / "gitward-config.git")
    args = ["--config", str(tmp_path / "etc"), "--gitea", str(root)]
    assert install(*args, "--config-repo", str(root / "infra" / "gitward-config.git")) == 0
    assert (root / "infra" / "gitward-config.git" / "hooks" / "pre-receive.d" / "gitward").exists()


@pytest.mark.parametrize(
    "where", ["https://git.example.com/infra/cfg.git", "git@git.example.com:infra/cfg.git"]
)
def test_a_url_is_refused_with_what_to_do(
    tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install("--config", str(tmp_path / "etc"), "--config-repo", where) == 1
    err = capsys.readouterr().err
    assert f"{where}: the policy repository must be a bare repository on this server" in err
    assert not (tmp_path / "etc" / "policy-repo.yaml").exists()


def test_what_is_not_a_usable_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GitwardError, match="not a git repository"):
        setup.bare_repository(str(tmp_path))
    work = gwrepo.init(tmp_path / "work", bare=False)
    with pytest.raises(GitwardError, match="not a bare git repository"):
        setup.bare_repository(str(work))
    with pytest.raises(GitwardError, match="not a bare git repository"):
        setup.bare_repository(str(work / ".git"))


def test_nothing_is_written_when_the_policy_does_not_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy_repo(tmp_path / "cfg.git", b"version: 1\nrules: [{id: x}]\n")
    etc = tmp_path / "etc"
    assert install("--config", str(etc), "--config-repo", str(tmp_path / "cfg.git")) == 1
    assert "rules[0]: expected at least one of signatures" in capsys.readouterr().err
    assert not (etc / "policy-repo.yaml").exists()
    assert not (tmp_path / "cfg.git" / "hooks" / "pre-receive").exists()


def test_a_config_directory_with_a_policy_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy_repo(tmp_path / "cfg.git")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "policy.yaml").write_bytes(POLICY)
    assert install("--config", str(tmp_path / "etc"), "--config-repo", str(tmp_path / "cfg.git"))
    assert "the policy would come from two places" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert install("--config", str(tmp_path / "file"), "--config-repo", str(tmp_path / "cfg.git"))
    assert "with --config-repo, --config names a directory" in capsys.readouterr().err


def test_install_refuses_a_step_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = policy_repo(tmp_path / "cfg.git")
    etc = tmp_path / "etc"
    args = ["--config", str(etc), "--config-repo", str(tmp_path / "cfg.git")]
    assert install(*args) == 0
    other = gwrepo.commit(tmp_path / "cfg.git", "unrelated")
    gwrepo.set_ref(tmp_path / "cfg.git", "refs/heads/main", other)
    assert install(*args) == 1
    assert f"which does not descend from {first}" in capsys.readouterr().err


def test_an_invalid_pointer_in_place_is_replaced(tmp_path: Path) -> None:
    policy_repo(tmp_path / "cfg.git")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "policy-repo.yaml").write_text("nonsense: [\n")
    args = ["--config", str(tmp_path / "etc"), "--config-repo", str(tmp_path / "cfg.git")]
    assert install(*args) == 0
    assert "repository:" in (tmp_path / "etc" / "policy-repo.yaml").read_text()

"""`gitward install` / `uninstall`: the shim lands where git (or Gitea) runs it; only ours goes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import gwrepo
import pytest

from gitward.cli import main
from gitward.cli.install_cmd import parse_shim, render_shim
from gitward.errors import GitwardError

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = gwrepo.clean_env()


def bare(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return gwrepo.init(path)


def git_config(repo: Path, key: str) -> str:
    out = subprocess.run(
        ["git", "config", "--file", str(repo / "config"), "--get", key],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip()


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "policy.yaml"
    path.parent.mkdir()
    path.write_text("version: 1\nrules: []\n")
    return path


def test_shipped_shim_is_the_generic_rendering() -> None:
    shipped = ROOT / "hooks" / "pre-receive"
    assert shipped.read_text() == render_shim("gitward", None)
    assert shipped.stat().st_mode & stat.S_IXUSR
    subprocess.run(["sh", "-n", str(shipped)], check=True)


def test_install_writes_an_executable_shim_with_baked_paths(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = bare(tmp_path / "app.git")
    assert (
        main(["install", "--config", str(policy), "--gitward", "/opt/gw/bin/gitward", str(repo)])
        == 0
    )
    hook = repo / "hooks" / "pre-receive"
    assert stat.S_IMODE(hook.stat().st_mode) == 0o755
    assert parse_shim(hook.read_text()) is not None
    shim = parse_shim(hook.read_text())
    assert shim is not None
    assert (shim.command, shim.config) == ("/opt/gw/bin/gitward", str(policy))
    assert git_config(repo, "receive.advertisePushOptions") == "true"
    assert "installed" in capsys.readouterr().out
    subprocess.run(["sh", "-n", str(hook)], check=True)


def test_baked_paths_with_spaces_and_quotes_survive_the_shell(tmp_path: Path) -> None:
    odd = '/tmp/it\'s a "policy" $HOME.yaml'
    shim = parse_shim(render_shim("/opt/my gitward/gitward", odd))
    assert shim is not None
    assert (shim.command, shim.config) == ("/opt/my gitward/gitward", odd)
    script = tmp_path / "s.sh"
    script.write_text(render_shim("echo", odd).replace(" hook pre-receive", ' "$GITWARD_CONFIG"'))
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == odd


def test_reinstall_is_unchanged_and_default_command_is_this_installation(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = bare(tmp_path / "app.git")
    assert main(["install", "--config", str(policy), str(repo)]) == 0
    shim = parse_shim((repo / "hooks" / "pre-receive").read_text())
    assert shim is not None
    assert Path(shim.command).name == "gitward"
    assert os.access(shim.command, os.X_OK)
    capsys.readouterr()
    assert main(["install", "--config", str(policy), str(repo)]) == 0
    assert capsys.readouterr().out.strip().endswith("unchanged")


def test_foreign_hook_needs_force_and_uninstall_restores_it(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = bare(tmp_path / "app.git")
    hook = repo / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho mine\n")
    assert main(["install", "--config", str(policy), str(repo)]) == 1
    assert "not gitward's" in capsys.readouterr().err
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    assert main(["install", "--force", "--config", str(policy), str(repo)]) == 0
    assert parse_shim(hook.read_text()) is not None
    assert main(["uninstall", str(repo)]) == 0
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    assert not (repo / "hooks" / "pre-receive.gitward-saved").exists()


def test_uninstall_leaves_foreign_hooks_alone(tmp_path: Path) -> None:
    repo = bare(tmp_path / "app.git")
    hook = repo / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 0\n")
    assert main(["uninstall", str(repo)]) == 0
    assert hook.exists()


def test_gitea_root_install_is_idempotent_and_uninstall_removes_only_ours(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "gitea-repositories"
    repos = [bare(root / "team" / "app.git"), bare(root / "alice" / "dots.git")]
    for repo in repos:
        (repo / "hooks" / "pre-receive.d").mkdir()
        (repo / "hooks" / "pre-receive.d" / "gitea").write_text("#!/bin/sh\ngitea hook\n")
    assert main(["install", "--gitea", str(root), "--config", str(policy)]) == 0
    first = capsys.readouterr().out
    assert first.count("installed") == 2
    for repo in repos:
        ours = repo / "hooks" / "pre-receive.d" / "gitward"
        assert os.access(ours, os.X_OK)
        assert not (repo / "hooks" / "pre-receive").exists()  # Gitea's own, untouched
    assert main(["install", "--gitea", str(root), "--config", str(policy)]) == 0
    assert capsys.readouterr().out.count("unchanged") == 2
    assert main(["uninstall", "--gitea", str(root)]) == 0
    for repo in repos:
        assert not (repo / "hooks" / "pre-receive.d" / "gitward").exists()
        assert (repo / "hooks" / "pre-receive.d" / "gitea").exists()


def test_refuses_what_is_not_a_bare_repository(tmp_path: Path, policy: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert main(["install", "--config", str(policy), str(tmp_path / "plain")]) == 1
    assert not (tmp_path / "plain" / "hooks").exists()


def test_gitea_root_skips_what_is_not_bare_and_installs_the_rest(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "gitea-repositories"
    repos = [bare(root / "alice" / "dots.git"), bare(root / "team" / "zzz.git")]
    work = root / "team" / "work.git"  # a clone with a work tree, left there by hand
    subprocess.run(["git", "init", "-q", str(work)], check=True, env=GIT_ENV)
    (root / "team" / "empty.git").mkdir()
    assert main(["install", "--gitea", str(root), "--config", str(policy)]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{root / 'team' / 'empty.git'}: SKIPPED: not a bare git repository"
        " (not a git repository at all)",
        f"{work}: SKIPPED: not a bare git repository (it has a work tree)",
    ]
    assert out.count("installed") == 2
    for repo in repos:
        assert os.access(repo / "hooks" / "pre-receive.d" / "gitward", os.X_OK)
        assert git_config(repo, "receive.advertisePushOptions") == "true"
    assert not (work / "hooks").exists()
    assert not (work / ".git" / "hooks" / "pre-receive.d").exists()
    assert git_config(work / ".git", "receive.advertisePushOptions") == ""
    assert main(["uninstall", "--gitea", str(root)]) == 1  # the same skips, the rest removed
    assert capsys.readouterr().out.count("removed") == 2
    assert not any((r / "hooks" / "pre-receive.d" / "gitward").exists() for r in repos)


def test_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["install", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 when every repository was handled, 1 when any was skipped or" in text


def test_gitpython_is_loaded_only_when_repositories_are_opened() -> None:
    probe = (
        "import sys\n"
        "from gitward.cli import build_parser\n"
        "build_parser()\n"  # what `gitward --help` does: every command's module imported
        "print('git' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_marker_without_an_exec_line_is_not_a_shim_and_a_missing_root_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitward.cli.install_cmd import MARKER

    assert parse_shim(f"#!/bin/sh\n{MARKER}\necho hello\n") is None
    assert main(["uninstall", "--gitea", str(tmp_path / "absent")]) == 1
    assert f"{tmp_path / 'absent'}: not a directory" in capsys.readouterr().err


def test_gitward_found_on_path_when_not_beside_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitward.cli import install_cmd

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gitward").write_text("#!/bin/sh\n")
    (bin_dir / "gitward").chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    monkeypatch.setenv("PATH", str(bin_dir))
    assert install_cmd.gitward_command() == str(bin_dir / "gitward")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GitwardError, match="pass --gitward PATH"):
        install_cmd.gitward_command()

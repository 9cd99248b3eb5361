"""`gitward doctor`: one OK/FAIL line per check, a fix for each failure, exit 1 on any."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gwpush import Signer, bare_repo, init_bare, write_config

from gitward.cli import main

POLICY = (
    "version: 1\nrules:\n  - id: m\n    refs: [refs/heads/main]\n    signatures:\n"
    "      signers: [alice]\n"
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "etc", POLICY, {"alice": Signer()})


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["doctor", *args])
    return code, capsys.readouterr().out.splitlines()


def line(lines: list[str], name: str) -> str:
    found = [ln for ln in lines if ln[5:].startswith(name)]
    assert found, lines
    return found[0]


def test_healthy_server(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = bare_repo(tmp_path / "app.git", config)
    capsys.readouterr()
    code, lines = doctor(capsys, "--config", str(config), str(repo))
    assert code == 0, lines
    assert all(ln.startswith("OK") for ln in lines), lines
    assert line(lines, "git:").startswith("OK   git: git version ")
    assert "importable" in line(lines, "pysequoia:")
    assert "1 rules, 1 signers" in line(lines, "policy:")
    assert "writable" in line(lines, "audit log:")
    assert str(repo / "hooks" / "pre-receive") in line(lines, f"hook {repo}")
    assert "pusher identity" in lines[-1]


def test_broken_policy_fails_with_every_problem(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text(POLICY.replace("[alice]", "[alice, nobody]") + "bogus: 1\n")
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    problems = [ln for ln in lines if ln.startswith("FAIL policy")]
    assert len(problems) >= 2, lines
    assert "gitward config check" in problems[0]


def test_hook_problems(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = init_bare(tmp_path / "none.git")
    code, lines = doctor(capsys, "--config", str(config), str(missing))
    assert code == 1
    assert f"-> gitward install {missing}" in line(lines, f"hook {missing}")

    repo = bare_repo(tmp_path / "app.git", config)
    hook = repo / "hooks" / "pre-receive"
    hook.chmod(0o644)
    code, lines = doctor(capsys, "--config", str(config), str(repo))
    assert code == 1
    assert "not executable" in line(lines, f"hook {repo}")

    hook.chmod(0o755)
    hook.write_text(hook.read_text().replace(".venv/bin/gitward", ".venv/bin/gone"))
    code, lines = doctor(capsys, "--config", str(config), str(repo))
    assert code == 1
    assert "runs missing" in line(lines, f"hook {repo}")


def test_core_hooks_path_makes_git_ignore_the_hook(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = bare_repo(tmp_path / "app.git", config)
    subprocess.run(
        ["git", "config", "--file", str(repo / "config"), "core.hooksPath", "/x"], check=True
    )
    capsys.readouterr()
    code, lines = doctor(capsys, "--config", str(config), str(repo))
    assert code == 1
    assert "core.hooksPath" in line(lines, f"hook {repo}")


def path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only `tools` (symlinks to the real ones)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        real = shutil.which(tool)
        assert real is not None
        (bin_dir / tool).symlink_to(real)
    return str(bin_dir)


def test_gpg_and_ssh_keygen_are_not_needed(
    tmp_path: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # gitward verifies signatures in process: a server without them is ready.
    repo = bare_repo(tmp_path / "app.git", config)
    monkeypatch.setenv("PATH", path_with(tmp_path, "git"))
    capsys.readouterr()
    code, lines = doctor(capsys, "--config", str(config), str(repo))
    assert code == 0, lines
    assert all(ln.startswith("OK") for ln in lines), lines
    assert not [ln for ln in lines if ln[5:].startswith(("gpg", "ssh-keygen"))], lines


def test_missing_git_is_reported(
    tmp_path: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The hook runs git for every push.
    repo = bare_repo(tmp_path / "app.git", config)
    monkeypatch.setenv("PATH", path_with(tmp_path, "gpg", "ssh-keygen"))
    capsys.readouterr()
    code, lines = doctor(capsys, "--config", str(config), str(repo))
    assert code == 1
    assert line(lines, "git:").startswith("FAIL git: not found on PATH -> install git")


def test_shows_the_detected_pusher_identity(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITEA_PUSHER_NAME", "alice")
    monkeypatch.setenv("GITEA_REPO_NAME", "app")
    _, lines = doctor(capsys, "--config", str(config))
    assert line(lines, "pusher identity").endswith("source gitea, pusher alice")

"""`gitward config check` validates admin.yaml beside the policy too, naming FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import gwadmin
import pytest

from gitward.cli import main


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    made = gwadmin.write_config(tmp_path / "cfg", signers=False)
    (made / "signers").mkdir()
    (made / "policy.yaml").write_text("version: 1\nrules: []\n")  # the files beside it matter here
    return made


def test_a_valid_admin_yaml_is_named_in_the_ok_line(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "forge(s) in forges.yaml, admin pages in admin.yaml" in out


def test_an_invalid_admin_yaml_fails_the_check_with_its_line(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = cfg / "admin.yaml"
    text = admin.read_text()
    lines = text.splitlines()
    line = next(i for i, t in enumerate(lines, 1) if t.startswith("session:"))
    admin.write_text(text.replace("lifetime_minutes: 30", "lifetime_minutes: many"))
    assert main(["config", "check", str(cfg)]) == 1
    captured = capsys.readouterr()
    assert f"{admin}:{line}: session.lifetime_minutes" in captured.out
    assert "OK:" not in captured.out
    assert "the policy would not be applied" in captured.err


def test_both_receiver_files_are_checked_in_one_run(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = cfg / "admin.yaml"
    admin.write_text(admin.read_text().replace("type: gitea", "type: gitlab"))
    forges = cfg / "forges.yaml"
    forges.write_text(forges.read_text().replace("type: github", "type: bitbucket", 1))
    assert main(["config", "check", str(cfg / "policy.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"{admin}:" in out and "oauth[0].type" in out
    assert f"{forges}:" in out and "forges[0].type" in out


def test_without_admin_yaml_the_check_does_not_mention_it(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cfg / "admin.yaml").unlink()
    assert main(["config", "check", str(cfg)]) == 0
    assert "admin pages" not in capsys.readouterr().out

"""forges.yaml: validated like the policy (file:line errors, unknown keys), secrets by reference."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from gitward.cli import main
from gitward.config import forges_file, secrets
from gitward.config.schema import forges_schema
from gitward.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
GOOD = """\
version: 1
forges:
  - name: gh
    type: github
    api_url: https://api.github.com
    git_url: https://github.com
    webhook_secret: env:GH_SECRET
    token: file:/run/secrets/gh
    repositories: ["acme/*", "tools/app"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "forges.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        forges_file.load(write(tmp_path, text))
    return caught.value.problems


def test_defaults_sit_beside_the_file(tmp_path: Path) -> None:
    loaded = forges_file.load(write(tmp_path, GOOD))
    assert loaded.receiver.data_dir == tmp_path / "receiver"
    assert loaded.receiver.queue == f"sqlite:///{tmp_path / 'receiver' / 'queue.db'}"
    assert loaded.receiver.status_context == "gitward"
    assert loaded.receiver.max_body_bytes == 25 * 1024 * 1024
    (gh,) = loaded.forges
    assert gh.webhook_secrets == ("env:GH_SECRET",)
    assert gh.clone_url("acme/app") == "https://github.com/acme/app.git"
    assert loaded.forge("gh") == gh
    assert loaded.forge("nope") is None


@pytest.mark.parametrize(
    ("repository", "served"),
    [
        ("acme/app", True),
        ("acme/other", True),
        ("tools/app", True),
        ("tools/app2", False),
        ("acmex/app", False),
        ("evil/acme", False),
    ],
)
def test_repository_globs_never_cross_the_slash(
    tmp_path: Path, repository: str, served: bool
) -> None:
    (gh,) = forges_file.load(write(tmp_path, GOOD)).forges
    assert gh.serves(repository) is served


@pytest.mark.parametrize(
    ("change", "line", "expected"),
    [
        (("token: file:/run/secrets/gh", "token: ghp_literal_token"), 8, "env:NAME or file:"),
        (("webhook_secret: env:GH_SECRET", "webhook_secret: hunter2"), 7, "env:NAME"),
        (("type: github", "type: gitlab"), 4, "one of github, gitea"),
        (("api_url: https://api.github.com", "api_url: http://api.github.com"), 5, "https://"),
        (("git_url: https://github.com", "git_url: git://127.0.0.1/x"), 6, "loopback"),
        (("    repositories:", "    repos: [x/y]\n    repositories:"), 9, 'unknown key "repos"'),
        (
            ("token: file:/run/secrets/gh", "app: {id: 1, private_key: env:K}\n    token: env:T"),
            3,
            "exactly one of token and app",
        ),
        (('["acme/*", "tools/app"]', '["acme/**/x"]'), 9, "owner/repo glob"),
    ],
)
def test_mistakes_are_reported_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, expected: str
) -> None:
    found = problems(tmp_path, GOOD.replace(*change))
    assert any(p.startswith(f"{tmp_path / 'forges.yaml'}:{line}:") and expected in p for p in found)


def test_loopback_http_needs_the_explicit_switch(tmp_path: Path) -> None:
    local = GOOD.replace("https://api.github.com", "http://127.0.0.1:8080").replace(
        "https://github.com", "git://[::1]:9418"
    )
    assert any("allow_insecure_loopback" in p for p in problems(tmp_path, local))
    allowed = local.replace(
        "version: 1\n", "version: 1\nreceiver: {allow_insecure_loopback: true}\n"
    )
    (gh,) = forges_file.load(write(tmp_path, allowed)).forges
    assert gh.api_url == "http://127.0.0.1:8080"
    # the switch is for loopback only
    remote = allowed.replace("http://127.0.0.1:8080", "http://10.0.0.1")
    assert any("https://" in p for p in problems(tmp_path, remote))


def test_gitea_has_no_app_and_names_are_unique(tmp_path: Path) -> None:
    text = GOOD + GOOD.split("forges:\n", 1)[1].replace("type: github", "type: gitea").replace(
        "token: file:/run/secrets/gh", "app: {id: 1, private_key: env:K}"
    )
    found = problems(tmp_path, text)
    assert any("app only for type github" in p for p in found)
    assert any("unique name" in p for p in found)


def test_the_example_validates_against_its_published_schema() -> None:
    example = yaml.safe_load((ROOT / "config" / "forges.yaml").read_text())
    jsonschema.Draft202012Validator(forges_schema()).validate(example)
    forges_file.load(ROOT / "config" / "forges.yaml")  # and the loader agrees


def test_cli_prints_the_schema_and_checks_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "schema", "--forges"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "gitward forges"
    (tmp_path / "policy.yaml").write_text("version: 1\nrules: []\n")
    write(tmp_path, GOOD.replace("type: github", "type: bitbucket"))
    assert main(["config", "check", str(tmp_path)]) == 1
    assert "forges.yaml:4: forges[0].type" in capsys.readouterr().out


def test_secrets_are_read_by_reference_and_never_echoed(tmp_path: Path) -> None:
    secret_file = tmp_path / "s"
    secret_file.write_text("from-a-file\n")
    assert secrets.read(f"file:{secret_file}") == b"from-a-file"
    assert secrets.read("env:X", {"X": "from-env"}) == b"from-env"
    for reference, environ in [("env:X", {}), ("env:X", {"X": "  "}), ("file:/nonexistent", {})]:
        with pytest.raises(ConfigError) as caught:
            secrets.read(reference, environ)
        assert reference in str(caught.value)
    secret_file.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        secrets.read(f"file:{secret_file}")

"""`signatures.forge_merges` in the policy file: loaded into spec values with its documented
defaults, every mistake named with its line, the same in the published JSON Schema, and the
forge's signer held to the signer files like any signer a rule names."""

from __future__ import annotations

from pathlib import Path

import gwkeys
import jsonschema
import pytest
import yaml

from gitward import config
from gitward.cli import main
from gitward.errors import ConfigError
from gitward.policy import spec

SIGNER = """\
id: {id}
name: {id}
emails: [{email}]
groups: [{groups}]
openpgp:
  - fingerprint: {fpr}
"""
RULE = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
      forge_merges: {option}
"""


def write(tmp: Path, option: str) -> Path:
    """A policy whose rule has `forge_merges: <option>` (line 7), with signers alice (a
    maintainer) and gitea-instance (carol's key: the forge's instance key, in no group)."""
    (tmp / "policy.yaml").write_text(RULE.format(option=option))
    keys = tmp / "signers" / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for signer, key, groups in (("alice", "alice", "maintainers"), ("gitea-instance", "carol", "")):
        fpr = gwkeys.fingerprint(key)
        text = SIGNER.format(id=signer, email=gwkeys.email(key), groups=groups, fpr=fpr)
        (tmp / "signers" / f"{signer}.yaml").write_text(text)
        (keys / f"{fpr}.asc").write_bytes(gwkeys.public_key(key))
    return tmp / "policy.yaml"


def forge_merges(tmp: Path, option: str) -> spec.ForgeMerges | None:
    (rule,) = config.load(write(tmp, option)).policy.rules
    assert rule.signatures is not None
    return rule.signatures.forge_merges


def test_the_option_is_off_unless_written(tmp_path: Path) -> None:
    path = write(tmp_path, "{}")
    path.write_text(path.read_text().replace("      forge_merges: {}\n", ""))
    (rule,) = config.load(path).policy.rules
    assert rule.signatures == spec.SignatureRule(("group:maintainers",))
    assert rule.signatures.forge_merges is None


def test_merge_commits_only_and_no_signer_by_default(tmp_path: Path) -> None:
    assert forge_merges(tmp_path, "{}") == spec.ForgeMerges(("merge",), None)


def test_styles_and_the_forge_signer(tmp_path: Path) -> None:
    option = "{styles: [merge, squash, rebase, rebase-merge], signer: gitea-instance}"
    assert forge_merges(tmp_path, option) == spec.ForgeMerges(
        ("merge", "squash", "rebase", "rebase-merge"), "gitea-instance"
    )


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("", "7: rules[0].signatures.forge_merges: expected a mapping with keys styles, signer"),
        ("true", "forge_merges: expected a mapping with keys styles, signer, got true"),
        ("{allow: true}", '7: rules[0].signatures.forge_merges.allow: unknown key "allow"'),
        ("{style: [merge]}", "did you mean 'styles'?"),
        ("{styles: []}", "forge_merges.styles: expected a non-empty list of styles"),
        ("{styles: merge}", 'forge_merges.styles: expected a list of styles, got "merge"'),
        (
            "{styles: [fast-forward-only]}",
            "forge_merges.styles[0]: expected one of merge, rebase, rebase-merge, squash",
        ),
        ("{signer: 'group:forge'}", "forge_merges.signer: expected a signer id matching"),
        (
            "{signer: gitea}",
            "7: rules[0].signatures.forge_merges.signer: expected a signer id (a file in",
        ),
    ],
)
def test_each_mistake_is_named_with_its_line(tmp_path: Path, option: str, expected: str) -> None:
    path = write(tmp_path, option)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    found = [p.removeprefix(f"{path}:") for p in err.value.problems]
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    ("option", "valid"),
    [
        ("{}", True),
        ("{styles: [squash], signer: gitea-instance}", True),
        ("{allow: true}", False),
        ("{styles: []}", False),
        ("{styles: [ff]}", False),
        ("{signer: 'group:x'}", False),
    ],
)
def test_the_published_schema_says_the_same(option: str, valid: bool) -> None:
    validator = jsonschema.Draft202012Validator(config.policy_schema())
    doc = yaml.safe_load(RULE.format(option=option))
    assert validator.is_valid(doc) is valid


def test_the_forge_signer_cannot_be_removed_while_the_policy_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "{signer: gitea-instance}")
    assert main(["signers", "remove", "gitea-instance", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "the policy still needs signer 'gitea-instance'" in err
    assert "rules[0].signatures.forge_merges.signer" in err
    assert (tmp_path / "signers" / "gitea-instance.yaml").exists()


def test_config_check_accepts_it(tmp_path: Path) -> None:
    path = write(tmp_path, "{styles: [merge, squash], signer: gitea-instance}")
    assert main(["config", "check", str(path)]) == 0

"""The `content:` rule family in the policy file: validated by the same table the JSON Schema
comes from, with FILE:LINE problems, and the allowlist file beside the policy."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from gwpush import Signer, write_config

from gitward.cli import main
from gitward.config import gitleaks, load, policy_file, policy_schema
from gitward.errors import ConfigError
from gitward.policy import spec

VALIDATOR = jsonschema.Draft202012Validator(policy_schema())
RULE = "rules:\n  - id: r\n    refs: [refs/heads/main]\n"

VALID = [
    RULE + "    content: {secrets: {}}\n",
    RULE + "    content: {files: {max_bytes: 10, case_collisions: true}}\n",
    RULE + "    content:\n      paths: ['**', '!docs/']\n      secrets: {max_bytes: 5}\n"
    "      files: {forbidden_paths: ['*.pem'], forbidden_extensions: [.p12, jks]}\n",
    RULE + "    content: {kubernetes_secrets: {}}\n",
    RULE + "    content: {paths: [clusters/], rego: {policies: [rego/a.rego, /etc/b.rego]}}\n",
]
INVALID = [
    RULE + "    content: {}\n",  # no check
    RULE + "    content: {paths: ['*'], secrets: {}, sekrets: {}}\n",
    RULE + "    content: {secrets: {ruleset: trufflehog}}\n",
    RULE + "    content: {secrets: {max_bytes: 0}}\n",
    RULE + "    content: {paths: [], secrets: {}}\n",
    RULE + "    content: {files: {forbidden_extensions: ['a b']}}\n",
    RULE + "    content: {files: {symlinks_outside: yes please}}\n",
    RULE + "    content: {kubernetes_secrets: {sops: true}}\n",
    RULE + "    content: {kubernetes_secrets: null}\n",
    RULE + "    content: {rego: {}}\n",
    RULE + "    content: {rego: {policies: []}}\n",
    RULE + "    content: {rego: {policies: [privileged.yaml]}}\n",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_content_rules_pass_schema_and_loader(text: str) -> None:
    doc = yaml.safe_load(text)
    VALIDATOR.validate(doc)
    assert policy_file.validate(doc)[1] == []


@pytest.mark.parametrize("text", INVALID)
def test_invalid_content_rules_fail_schema_and_loader(text: str) -> None:
    doc = yaml.safe_load(text)
    assert list(VALIDATOR.iter_errors(doc))
    assert policy_file.validate(doc)[1]


def config(root: Path, content: str, allowlist: str | None = None) -> Path:
    text = "version: 1\n" + RULE + "    content:\n" + content
    path = write_config(root, text, {"alice": Signer()})
    if allowlist is not None:
        (root / "secrets-allowlist.yaml").write_text(allowlist)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path)
    return caught.value.problems


def test_a_bad_glob_is_named_with_its_line(tmp_path: Path) -> None:
    path = config(tmp_path, "      files:\n        forbidden_paths: ['ok', '[z-a]']\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:7: rules[0].content.files.forbidden_paths[1]: expected a "
                              "path glob (.gitignore style), got \"[z-a]\"")  # fmt: skip


def test_a_missing_allowlist_is_an_error_at_the_policy_line(tmp_path: Path) -> None:
    path = config(tmp_path, "      secrets:\n        allowlist: nope.yaml\n")
    assert problems(path) == [
        f"{path}:7: rules[0].content.secrets.allowlist: expected an allowlist file, "
        f"{tmp_path / 'nope.yaml'} does not exist"
    ]


def test_allowlist_problems_name_the_allowlist_file_and_line(tmp_path: Path) -> None:
    content = "      secrets:\n        allowlist: secrets-allowlist.yaml\n"
    allow = tmp_path / "secrets-allowlist.yaml"
    text = "paths: ['[z-a]']\nregexes: ['(']\nfingerprints:\n  - fingerprint: ABC\n"
    text += "  - {fingerprint: 0123456789abcdef0123}\nextra: 1\n"
    path = config(tmp_path, content, text)
    found = problems(path)
    assert [p.split(": ", 2)[:2] for p in found] == [
        [f"{allow}:1", "paths[0]"],
        [f"{allow}:2", "regexes[0]"],
        [f"{allow}:4", "fingerprints[0].fingerprint"],
        [f"{allow}:4", "fingerprints[0]"],  # no reason
        [f"{allow}:5", "fingerprints[1]"],
        [f"{allow}:6", "extra"],
    ]
    allow.write_text("paths: [\n")
    assert problems(path)[0].startswith(f"{allow}:")
    allow.unlink()
    allow.mkdir()
    assert "cannot read the allowlist" in problems(path)[0]


def test_an_empty_allowlist_allows_nothing_and_loads(tmp_path: Path) -> None:
    path = config(tmp_path, "      secrets: {allowlist: secrets-allowlist.yaml}\n", "")
    loaded = load(path)
    assert loaded.policy.content_data.allowlists == {
        "secrets-allowlist.yaml": spec.SecretsAllowlist()
    }
    assert set(loaded.policy.content_data.rulesets) == {"gitleaks"}


def test_a_broken_rule_set_file_makes_the_policy_unloadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str = "gitleaks") -> spec.LeakRules:
        raise ConfigError([f"rules.json:1: cannot read the secret rule set {name}"])

    monkeypatch.setattr(gitleaks, "load", broken)
    path = config(tmp_path, "      secrets: {}\n")
    assert problems(path) == ["rules.json:1: cannot read the secret rule set gitleaks"]


def test_config_check_says_what_content_rules_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    content = "      secrets: {allowlist: secrets-allowlist.yaml}\n"
    path = config(tmp_path, content, "paths: [fixtures/]\n")
    assert main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("secrets: rule set gitleaks (github.com/gitleaks/gitleaks ")
    assert out[0].endswith(": 218 of 218 rules usable with RE2")
    assert out[1] == (
        "secrets allowlist secrets-allowlist.yaml: 1 path(s), 0 regex(es), 0 fingerprint(s)"
    )
    assert out[2].startswith("OK: 1 rule, 1 signer")
    monkeypatch.setattr(gitleaks, "usable", lambda rules: (217, ["jwt: bad"]))
    monkeypatch.setattr(gitleaks, "unusable", lambda: [("x", "lookahead")])
    assert main(["config", "check", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "  left out by the vendoring script: x: lookahead" in out
    assert f"{path}:1: secret rule jwt: bad" in out


def test_rego_policies_are_read_at_load_and_compiled_by_config_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = 'package p\ndeny[msg] { input.request.kind.kind == "Pod"; msg := "no pods" }\n'
    path = config(tmp_path, "      rego: {policies: [rego/good.rego, rego/bad.rego]}\n")
    (tmp_path / "rego").mkdir()
    (tmp_path / "rego" / "good.rego").write_text(good)
    (tmp_path / "rego" / "bad.rego").write_text("package p\ndeny[msg] {\n  msg := := 1\n}\n")
    loaded = load(path)  # read, not compiled: the hook compiles on the first manifest
    judge = loaded.policy.content_data.rego["rego/good.rego", "rego/bad.rego"]
    assert main(["config", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'rego' / 'bad.rego'}:3:"), out
    with pytest.raises(ConfigError):
        judge.evaluate("a.yaml", [{"apiVersion": "v1", "kind": "Pod"}])  # fail closed

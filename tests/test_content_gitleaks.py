"""The vendored gitleaks rule set: upstream's file unchanged beside its licence, the JSON gitward
reads made from it, every rule usable with RE2, and the keyword set finding every keyword."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import gwsecrets
import pytest

from gitward.config import gitleaks
from gitward.errors import ConfigError
from gitward.policy.content.leaks import Scanner, entropy

COMMIT = "009e025ad4106ab333aa0b9dc4f2a884390d134c"


def test_the_json_is_the_toml_converted() -> None:
    doc = tomllib.loads(gitleaks.TOML.read_text(encoding="utf-8"))
    assert json.loads(gitleaks.JSON_FILE.read_text()) == gitleaks.convert(doc, COMMIT)


def test_provenance_and_licence_sit_beside_the_rules() -> None:
    readme = (gitleaks.DIRECTORY / "README.md").read_text()
    assert COMMIT in readme
    assert "MIT" in readme
    licence = (gitleaks.DIRECTORY / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "Zachary Rice" in licence
    # Upstream's file, unchanged: its own header, and as many bytes as upstream's.
    toml = gitleaks.TOML.read_bytes()
    assert toml.startswith(b"# This file has been auto-generated.")
    assert len(toml) == 96_247


def test_every_vendored_rule_is_usable_with_re2() -> None:
    rules = gitleaks.load()
    assert len(rules.rules) == 218
    assert gitleaks.usable(rules) == (218, [])
    assert gitleaks.unusable() == []
    assert rules.source.endswith(COMMIT[:12])


def test_a_rule_re2_cannot_run_is_left_out_with_the_reason() -> None:
    doc = {
        "rules": [
            {"id": "fine", "regex": "abc", "keywords": ["ABC"]},
            {"id": "lookahead", "regex": "a(?=b)"},
            {"id": "bad-allowlist", "regex": "x", "allowlists": [{"regexes": ["(?<=y)"]}]},
        ]
    }
    out = gitleaks.convert(doc, COMMIT)
    assert [r["id"] for r in out["rules"]] == ["fine"]
    assert out["rules"][0]["keywords"] == ["abc"]
    assert [u["id"] for u in out["unusable"]] == ["lookahead", "bad-allowlist"]
    assert all(u["reason"] for u in out["unusable"])


def test_a_broken_or_unknown_rule_set_fails_closed(tmp_path: Path) -> None:
    broken = tmp_path / "rules.json"
    broken.write_text('{"name": "gitleaks"}')
    with pytest.raises(ConfigError, match="cannot read the secret rule set"):
        gitleaks.load("gitleaks", broken)
    with pytest.raises(ConfigError, match="unknown secret rule set"):
        gitleaks.load("trufflehog")


def test_the_keyword_set_finds_every_keyword_in_any_case() -> None:
    rules = gitleaks.load()
    scanner = Scanner(rules)
    rng = gwsecrets.rng(7)
    keywords = sorted({k for r in rules.rules for k in r.keywords})
    noise = rng.randbytes(200_000)
    for keyword in keywords:
        text = noise + keyword.upper().encode() + b" " + noise
        ran = {rule.id for rule, _ in scanner.triggered(text)}
        wanted = {r.id for r in rules.rules if keyword in r.keywords}
        assert wanted <= ran, keyword


def test_rules_without_keywords_always_run_and_path_rules_never_scan() -> None:
    rules = gitleaks.load()
    ran = {rule.id for rule, _ in Scanner(rules).triggered(b"plain text")}
    assert ran == {r.id for r in rules.rules if r.regex and not r.keywords}
    assert "pkcs12-file" not in ran  # flagged by path alone


@pytest.mark.parametrize(("text", "bits"), [("", 0.0), ("aaaa", 0.0), ("abab", 1.0), ("abcd", 2.0)])
def test_entropy_is_gitleaks_shannon_entropy(text: str, bits: float) -> None:
    assert entropy(text) == pytest.approx(bits)

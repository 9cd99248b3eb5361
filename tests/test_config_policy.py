"""Policy file validation: every problem named as FILE:LINE: key.path, never half-applied."""

from __future__ import annotations

import textwrap
from pathlib import Path

import gwkeys
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward import config
from gitward.cli import main
from gitward.config import policy_file
from gitward.errors import ConfigError
from gitward.policy import spec

ALICE = """\
id: alice
name: Alice Example
emails: [alice@example.com]
groups: [maintainers]
openpgp:
  - fingerprint: {fpr}
"""

GOOD = """\
version: 1
pusher_groups:
  release-managers: [alice, bob]
rules:
  - id: protect-main
    refs: [refs/heads/main, "refs/heads/release/*"]
    bypass: [group:release-managers]
    signatures:
      signers: [group:maintainers]
    messages:
      must_match: '^(JIRA-[0-9]+|FEATURE-[0-9]+): '
      subject_max_length: 72
    protection:
      block_force_push: true
      allowed_pushers: [group:release-managers, ci-bot]
  - id: cc
    refs: ["refs/heads/**"]
    mode: warn
    messages: {conventional_commits: true}
"""


def write(tmp: Path, policy: str, *, signer: bool = True) -> Path:
    (tmp / "policy.yaml").write_text(textwrap.dedent(policy))
    if signer:
        fpr = gwkeys.fingerprint("alice")
        (tmp / "signers" / "keys").mkdir(parents=True, exist_ok=True)
        (tmp / "signers" / "alice.yaml").write_text(ALICE.format(fpr=fpr))
        (tmp / "signers" / "keys" / f"{fpr}.asc").write_bytes(gwkeys.public_key("alice"))
    return tmp / "policy.yaml"


def problems(tmp: Path, policy: str) -> list[str]:
    path = write(tmp, policy)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    return [p.removeprefix(f"{path}:") for p in err.value.problems]


def test_a_good_policy_becomes_spec_values_with_documented_defaults(tmp_path: Path) -> None:
    loaded = config.load(write(tmp_path, GOOD))
    main_rule, cc = loaded.policy.rules
    assert main_rule == spec.Rule(
        id="protect-main",
        refs=("refs/heads/main", "refs/heads/release/*"),
        bypass=("group:release-managers",),
        signatures=spec.SignatureRule(signers=("group:maintainers",)),
        messages=spec.MessageRule(
            must_match="^(JIRA-[0-9]+|FEATURE-[0-9]+): ", subject_max_length=72
        ),
        protection=spec.RefProtection(
            block_force_push=True, allowed_pushers=("group:release-managers", "ci-bot")
        ),
    )
    assert cc.mode == "warn"
    assert cc.messages == spec.MessageRule(conventional_commits=True)
    assert loaded.policy.pusher_groups == {"release-managers": ("alice", "bob")}
    assert loaded.policy.source == str(tmp_path / "policy.yaml")
    # Relative paths are resolved against the policy file's directory.
    assert loaded.audit_log == tmp_path / "audit.jsonl"
    assert loaded.policy.settings.audit_log == str(tmp_path / "audit.jsonl")
    assert loaded.policy.settings.signers_dir == str(tmp_path / "signers")
    assert loaded.policy.settings.timeout_seconds == 4.0
    assert loaded.directory == tmp_path
    assert loaded.signers.by_id("alice") is not None
    assert gwkeys.fingerprint("alice") in loaded.keyring


SPEC_KEYS = ("signatures", "messages", "protection")


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "messages: {subject_max_length: abc}",
            '5: rules[0].messages.subject_max_length: expected a positive integer, got "abc"',
        ),
        ("messages: {subject_max_length: 0}", "expected a positive integer, got 0"),
        ("messages: {subject_max_length: true}", "expected a positive integer, got true"),
        ("messages: {must_match: '(unclosed'}", "must_match: expected a regular expression in RE2"),
        # Python syntax RE2 cannot run (in linear time) is refused at load, not at the push.
        (r"messages: {must_match: 'x\Z'}", r'got "x\\Z": invalid escape sequence: \Z'),
        (r"messages: {must_not_match: '(a)\1'}", r'got "(a)\\1": invalid escape sequence: \1'),
        ("messages: {must_match: '^(?!WIP)'}", 'got "^(?!WIP)": invalid perl operator: (?!'),
        ("messages: {subjet_max_length: 3}", "did you mean 'subject_max_length'?"),
        ("messages: {merge_commits: sometimes}", "expected one of check, skip"),
        ("mode: enforced", '5: rules[0].mode: expected one of enforce, warn, got "enforced"'),
        ("signatures: {signers: []}", "signers: expected a non-empty list of signer ids"),
        ("signatures: {signers: [group:nobody]}", "expected a signer group with members"),
        ("signatures: {signers: [carol]}", "expected a signer id (a file in"),
        ("signatures: {}", "rules[0].signatures: missing required key 'signers'"),
        ("protection: {block_force_push: 1}", "expected true or false, got 1"),
        ("protection: {allowed_pushers: [group:ghosts]}", "expected a pusher group defined"),
        ("bypass: [group:ghosts]", "5: rules[0].bypass[0]: expected a pusher group defined"),
        ("protection: {name_pattern: '['}", "name_pattern: expected a regular expression in RE2"),
        ("description: [a]", "rules[0].description: expected a string, got a list"),
        ("frobnicate: true", '5: rules[0].frobnicate: unknown key "frobnicate"'),
    ],
)
def test_each_mistake_names_line_key_path_and_expectation(
    tmp_path: Path, snippet: str, expected: str
) -> None:
    # Line 5 holds the snippet; a rule needs at least one check family besides.
    other = "" if snippet.split(":", maxsplit=1)[0] in SPEC_KEYS else "    protection: {}\n"
    policy = f"version: 1\nrules:\n  - id: r\n    refs: [refs/heads/main]\n    {snippet}\n{other}"
    found = problems(tmp_path, policy)
    assert any(expected in p for p in found), found


def test_structure_mistakes(tmp_path: Path) -> None:
    cases = {
        "[1, 2]\n": "1: expected a mapping with keys version, settings",
        "version: 2\nrules: []\n": "1: version: expected 1, got 2",
        "rules: {a: 1}\n": "1: rules: expected a list, got a mapping",
        "rules: []\nsettings: {timeout_seconds: -1}\n": "2: settings.timeout_seconds: expected",
        "rules: []\nsettings: {timeout_seconds: .nan}\n": "settings.timeout_seconds: expected",
        "settings: {}\n": "1: missing required key 'rules'",
        "rules:\n  - id: r\n    refs: [heads/main]\n    protection: {}\n": (
            "3: rules[0].refs[0]: expected a ref glob starting with refs/"
        ),
        "rules:\n  - id: r\n    refs: [refs/heads/x]\n": (
            "2: rules[0]: expected at least one of signatures, messages, protection"
        ),
        "rules:\n  - id: Bad_Id\n    refs: [refs/x]\n    protection: {}\n": (
            "2: rules[0].id: expected a rule id matching"
        ),
        "rules: []\npusher_groups: {ok: [a], 'bad name': [b]}\n": (
            "2: pusher_groups['bad name']: expected a group name"
        ),
        "rules: []\nrules: []\n": "2: rules: duplicate key (first defined on line 1)",
        "rules: [\n": "not valid YAML",
    }
    for text, expected in cases.items():
        found = problems(tmp_path, text)
        assert any(expected in p for p in found), (text, found)


def test_every_problem_is_reported_at_once_and_nothing_is_applied(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        rules:
          - id: a
            refs: [refs/heads/main]
            mode: warning
            messages: {must_match: '(', subject_max_length: x}
          - id: a
            refs: [main]
            signatures: {signers: [group:typo]}
        """,
    )
    assert found == [
        '4: rules[0].mode: expected one of enforce, warn, got "warning"',
        "5: rules[0].messages.must_match: expected a regular expression in RE2 syntax "
        '(https://github.com/google/re2/wiki/Syntax), got "(": missing ): (',
        '5: rules[0].messages.subject_max_length: expected a positive integer, got "x"',
        "6: rules[1].id: expected a unique rule id, 'a' is already used by rules[0]",
        '7: rules[1].refs[0]: expected a ref glob starting with refs/, got "main"',
        f"8: rules[1].signatures.signers[0]: expected a signer group with members, got 'typo': "
        f"no signer in {tmp_path / 'signers'} belongs to it "
        "(add one with `gitward signers add ... --group typo`)",
    ]


def test_signature_rules_need_an_existing_signers_directory(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "settings: {signers_dir: nowhere}\nrules:\n  - id: r\n    refs: [refs/heads/main]\n"
        "    signatures: {signers: [alice]}\n",
    )
    with pytest.raises(ConfigError, match=r"settings.signers_dir: expected a directory"):
        config.load(path)


def test_path_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD)
    # A directory means <dir>/policy.yaml; no path means $GITWARD_CONFIG.
    assert config.load(tmp_path).path == tmp_path / "policy.yaml"
    monkeypatch.setenv("GITWARD_CONFIG", str(tmp_path))
    assert config.load().path == tmp_path / "policy.yaml"
    monkeypatch.delenv("GITWARD_CONFIG")
    assert config.policy_path() == Path("/etc/gitward/policy.yaml")
    with pytest.raises(ConfigError, match="cannot read the policy file"):
        config.load(tmp_path / "missing.yaml")


def test_config_check_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD)
    assert main(["config", "check", str(path)]) == 0
    assert capsys.readouterr().out.startswith("OK: 2 rules, 1 signer")
    path.write_text(GOOD.replace("mode: warn", "mode: loud").replace("72", "-1"))
    assert main(["config", "check", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"{path}:12: rules[0].messages.subject_max_length: expected a positive integer, got -1",
        f'{path}:18: rules[1].mode: expected one of enforce, warn, got "loud"',
    ]
    assert "2 problem(s)" in out.err


WORDS = st.sampled_from(
    ["version", "settings", "rules", "id", "refs", "mode", "signatures", "signers", "messages",
     "protection", "bypass", "must_match", "subject_max_length", "timeout_seconds", "enforce",
     "warn", "refs/heads/main", "group:x", "(", "x"]
)  # fmt: skip
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 100) | st.floats(allow_nan=True) | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(WORDS, VALUES, max_size=5))
def test_any_document_is_either_fully_valid_or_rejected_with_problems(doc: object) -> None:
    checked, found = policy_file.validate(doc)
    if checked is None:
        assert found  # rejected: always with at least one reason
    else:
        assert found == []
        policy = policy_file.build(checked, "p.yaml", spec.Settings())
        assert all(isinstance(r, spec.Rule) for r in policy.rules)

"""The published JSON Schema and the loader agree (both come from one table), and the docs
describe every key."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from gitward.cli import main
from gitward.config import policy_file, policy_schema, policy_table, schema
from gitward.config.shapes import Field, ListOf, MapOf, Obj

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = jsonschema.Draft202012Validator(
    policy_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
RULE = "rules:\n  - id: r\n    refs: [refs/heads/main]\n"

VALID = [
    "rules: []\n",
    RULE + "    protection: {}\n",
    RULE + "    mode: warn\n    messages: {conventional_commits: true, merge_commits: check}\n",
    "version: 1\nsettings: {timeout_seconds: 2.5, audit_log: /var/log/gw.jsonl}\n"
    "pusher_groups: {rm: [alice]}\n" + RULE + "    bypass: [group:rm, bob]\n"
    "    signatures: {signers: [group:maintainers, carol], tags: false}\n",
]
INVALID = [
    "rules: []\nextra: 1\n",  # unknown key
    "version: 2\nrules: []\n",
    "settings: {timeout_seconds: 0}\nrules: []\n",
    "settings: {timeout_seconds: true}\nrules: []\n",
    "settings: {signer_dir: x}\nrules: []\n",  # typo
    "{}\n",  # rules missing
    RULE,  # a rule that checks nothing
    RULE + "    mode: enforced\n    protection: {}\n",
    RULE + "    messages: {subject_max_length: abc}\n",
    RULE + "    messages: {subject_max_length: 0}\n",
    RULE + "    messages: {must_match: '(unclosed'}\n",
    RULE + "    signatures: {signers: []}\n",
    RULE + "    signatures: {signers: ['group:']}\n",
    RULE + "    protection: {block_force_push: 'yes please'}\n",
    RULE + "    protection: {allowed_pushers: ['two words']}\n",
    "rules:\n  - id: r\n    refs: [heads/main]\n    protection: {}\n",
    "rules:\n  - id: R_1\n    refs: [refs/heads/main]\n    protection: {}\n",
    "rules:\n  - refs: [refs/heads/main]\n    protection: {}\n",
    "pusher_groups: {'bad name': [a]}\nrules: []\n",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_documents_pass_schema_and_loader(text: str) -> None:
    doc = yaml.safe_load(text)
    VALIDATOR.validate(doc)
    checked, problems = policy_file.validate(doc)
    # Pusher group references are a cross-check; the fixtures define the groups they use.
    assert problems == []
    assert checked is not None


@pytest.mark.parametrize("text", INVALID)
def test_invalid_documents_fail_schema_and_loader(text: str) -> None:
    doc = yaml.safe_load(text)
    assert list(VALIDATOR.iter_errors(doc)), "the schema accepted it"
    checked, problems = policy_file.validate(doc)
    assert problems, "the loader accepted it"
    assert checked is None


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(policy_schema())
    jsonschema.Draft202012Validator.check_schema(schema.signer_schema())
    rule = policy_schema()["properties"]["rules"]["items"]  # type: ignore[index]
    assert rule["properties"]["mode"]["default"] == "enforce"
    assert rule["additionalProperties"] is False


def test_cli_prints_the_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == policy_schema()
    assert main(["config", "schema", "--signer"]) == 0
    assert json.loads(capsys.readouterr().out) == schema.signer_schema()


def test_signer_schema_accepts_the_example_signers() -> None:
    validator = jsonschema.Draft202012Validator(schema.signer_schema())
    for file in sorted((ROOT / "config" / "signers").glob("*.yaml")):
        # Editors see YAML 1.2, where dates are strings: compare like with like.
        doc = json.loads(json.dumps(yaml.safe_load(file.read_text()), default=str))
        validator.validate(doc)
    assert list(validator.iter_errors({"id": "x", "name": "X", "emails": []}))


def _keys(obj: Obj, prefix: str = "") -> list[str]:
    out = []
    for name, f in obj.fields.items():
        out.append(prefix + name)
        out += _keys_of(f, prefix + name + ".")
    return out


def _keys_of(f: Field, prefix: str) -> list[str]:
    t = f.type
    while isinstance(t, ListOf | MapOf):
        t = t.item if isinstance(t, ListOf) else t.value
    return _keys(t, prefix) if isinstance(t, Obj) else []


def test_the_reference_documents_every_key() -> None:
    text = (ROOT / "docs" / "policy.md").read_text()
    from gitward.config.signer_table import SIGNER

    missing = [
        k
        for k in _keys(policy_table.POLICY) + _keys(SIGNER)
        if f"`{k.rsplit('.', 1)[-1]}`" not in text
    ]
    assert missing == []

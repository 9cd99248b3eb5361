"""A signer file records where each key came from (`source`): the loader and the published
schema accept the same shapes, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gwkeys
import jsonschema
import pytest
import yaml

from gitward.config import schema, signers_file

KEY = gwkeys.fingerprint("carol")
SOURCES_OK = [
    "{forge: gitea, user: carol}",
    "{forge: github-com, user: Carol-C, unverified: true}",
    "{forge: g, user: c.c_1, unverified: false}",
    "{gnupg: default}",
    "{gnupg: /home/admin/.gnupg}",
]
SOURCES_BAD = [
    ("{forge: gitea}", "missing required key 'user'"),
    ("{user: carol}", "either forge and user, or gnupg alone"),
    ("{gnupg: default, user: carol}", "either forge and user, or gnupg alone"),
    ("{gnupg: default, unverified: true}", "either forge and user, or gnupg alone"),
    ("{forge: gitea, user: carol, gnupg: default}", "either forge and user, or gnupg alone"),
    ("{forge: gitea, user: ../x}", "a forge user name"),
    ("{forge: 'bad name', user: carol}", "a forge name"),
    ("{forge: gitea, user: carol, unverified: 'yes'}", "true or false"),
    ("{forge: gitea, user: carol, via: x}", 'unknown key "via"'),
    ("{gnupg: ''}", "a GnuPG home directory"),
    ("gitea/carol", "a mapping with keys forge, user, unverified, gnupg"),
]


def signer(tmp_path: Path, source: str) -> Path:
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    (keys / f"{KEY}.asc").write_bytes(gwkeys.public_key("carol"))
    file = tmp_path / "carol.yaml"
    file.write_text(
        "id: carol\nname: Carol\nemails: [carol@example.com]\n"
        f"openpgp:\n  - fingerprint: {KEY}\n    source: {source}\n"
        f"ssh:\n  - key: {gwkeys.ssh_public_key('carol')}\n    source: {source}\n"
    )
    return file


def schema_errors(file: Path) -> list[Any]:
    doc = json.loads(json.dumps(yaml.safe_load(file.read_text()), default=str))
    return list(jsonschema.Draft202012Validator(schema.signer_schema()).iter_errors(doc))


@pytest.mark.parametrize("source", SOURCES_OK)
def test_sources_the_loader_and_the_schema_accept(tmp_path: Path, source: str) -> None:
    file = signer(tmp_path, source)
    result = signers_file.load_dir(tmp_path)
    assert result.problems == []
    assert [s.id for s in result.signers.signers] == ["carol"]
    assert schema_errors(file) == []


@pytest.mark.parametrize(("source", "why"), SOURCES_BAD)
def test_sources_both_refuse(tmp_path: Path, source: str, why: str) -> None:
    file = signer(tmp_path, source)
    problems = signers_file.load_dir(tmp_path).problems
    assert any(f"{file}:6: openpgp[0].source" in p and why in p for p in problems), problems
    assert schema_errors(file), "the schema accepted it"


def test_the_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(schema.signer_schema())


def test_the_reference_documents_the_source_keys() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "policy.md").read_text()
    for key in ("source", "forge", "user", "unverified", "gnupg"):
        assert f"`{key}`" in text or f"{key}:" in text

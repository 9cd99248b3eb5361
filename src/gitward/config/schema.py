"""JSON Schemas (draft 2020-12) for editors, generated from the loader's own tables.

The loader checks more than a schema can say (regexes compile, rule ids are unique, referenced
groups and signers exist, fingerprints match key files); everything the schema does say, the
loader enforces identically, because both come from `policy_table.POLICY` / `signer_table.SIGNER`.
"""

from __future__ import annotations

from gitward.config.forges_table import FORGES
from gitward.config.policy_table import POLICY
from gitward.config.shapes import Obj
from gitward.config.signer_table import SIGNER

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _document(table: Obj, title: str, schema_id: str) -> dict[str, object]:
    return {"$schema": DRAFT, "$id": schema_id, "title": title, **table.schema()}


def policy_schema() -> dict[str, object]:
    return _document(POLICY, "gitward policy", "https://gitward.invalid/schema/policy.json")


def signer_schema() -> dict[str, object]:
    return _document(SIGNER, "gitward signer", "https://gitward.invalid/schema/signer.json")


def forges_schema() -> dict[str, object]:
    return _document(FORGES, "gitward forges", "https://gitward.invalid/schema/forges.json")

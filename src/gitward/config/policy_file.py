"""Validation of a policy document into `gitward.policy.spec` values.

The table (`policy_table.POLICY`) checks each value; the cross-checks here check what a table
cannot: unique rule ids and defined pusher groups (signer references need the signer files,
see `gitward.config.reference_problems`).
"""

from __future__ import annotations

from typing import Any

from gitward.config.fields import KeyPath, Problems
from gitward.config.policy_table import POLICY
from gitward.policy import spec


def validate(value: object) -> tuple[dict[str, Any] | None, Problems]:
    """Check a loaded policy document; returns the converted mapping (None if invalid).

    Cross-checks read the raw document defensively, so they still run (and report) when
    other parts of it are broken: every problem is listed at once.
    """
    problems: Problems = []
    checked = POLICY.check(value, (), problems)
    _check_rule_ids(value, problems)
    _check_pusher_groups(value, problems)
    return (None if problems else checked), problems  # type: ignore[return-value]


def _rules(doc: object) -> list[tuple[int, dict[Any, Any]]]:
    rules = doc.get("rules") if isinstance(doc, dict) else None
    return (
        [(i, r) for i, r in enumerate(rules) if isinstance(r, dict)]
        if isinstance(rules, list)
        else []
    )


def _strings(container: object, key: str, path: KeyPath) -> list[tuple[KeyPath, str]]:
    """(path, item) for every string item of the list `container[key]`, if there is one."""
    items = container.get(key) if isinstance(container, dict) else None
    if not isinstance(items, list):
        return []
    return [((*path, key, j), e) for j, e in enumerate(items) if isinstance(e, str)]


def _check_rule_ids(doc: object, out: Problems) -> None:
    seen: dict[str, int] = {}
    for i, rule in _rules(doc):
        rule_id = rule.get("id")
        if not isinstance(rule_id, str):
            continue
        if rule_id in seen:
            out.append(
                (
                    ("rules", i, "id"),
                    f"expected a unique rule id, {rule_id!r} is "
                    f"already used by rules[{seen[rule_id]}]",
                )
            )
        seen.setdefault(rule_id, i)


def _check_pusher_groups(doc: object, out: Problems) -> None:
    groups = doc.get("pusher_groups") if isinstance(doc, dict) else None
    defined = set(groups) if isinstance(groups, dict) else set()
    for i, rule in _rules(doc):
        entries = _strings(rule, "bypass", ("rules", i))
        entries += _strings(rule.get("protection"), "allowed_pushers", ("rules", i, "protection"))
        for path, entry in entries:
            name = entry.removeprefix("group:")
            if entry.startswith("group:") and name not in defined:
                out.append(
                    (path, f"expected a pusher group defined in pusher_groups, got {name!r}")
                )


def signer_references(doc: object) -> list[tuple[KeyPath, str]]:
    """Every (key path, entry) naming a signer or `group:<name>` in signature rules (the
    forge's signer of `forge_merges` included)."""
    refs = []
    for i, rule in _rules(doc):
        sigs, path = rule.get("signatures"), ("rules", i, "signatures")
        refs += _strings(sigs, "signers", path)
        forge = sigs.get("forge_merges") if isinstance(sigs, dict) else None
        signer = forge.get("signer") if isinstance(forge, dict) else None
        if isinstance(signer, str):
            refs.append(((*path, "forge_merges", "signer"), signer))
    return refs


def content_files(doc: object) -> list[tuple[KeyPath, str]]:
    """Every (key path, file name) of a secrets allowlist a rule names."""
    found: list[tuple[KeyPath, str]] = []
    for i, rule in _rules(doc):
        content = rule.get("content")
        secrets = content.get("secrets") if isinstance(content, dict) else None
        name = secrets.get("allowlist") if isinstance(secrets, dict) else None
        if isinstance(name, str):
            found.append((("rules", i, "content", "secrets", "allowlist"), name))
    return found


def rego_files(doc: object) -> list[tuple[KeyPath, str]]:
    """Every (key path, file name) of a Rego policy a rule names."""
    found: list[tuple[KeyPath, str]] = []
    for i, rule in _rules(doc):
        content = rule.get("content")
        rego = content.get("rego") if isinstance(content, dict) else None
        found += _strings(rego, "policies", ("rules", i, "content", "rego"))
    return found


def _content(value: dict[str, Any]) -> spec.ContentRule:
    parts: dict[str, Any] = dict(value)
    if "kubernetes_secrets" in value:
        parts["kubernetes_secrets"] = spec.KubernetesSecretsCheck()
    if "rego" in value:
        parts["rego"] = spec.RegoCheck(tuple(value["rego"]["policies"]))
    if "secrets" in value:
        parts["secrets"] = spec.SecretsCheck(**value["secrets"])
    if "files" in value:
        parts["files"] = spec.FilesCheck(**value["files"])
    return spec.ContentRule(**parts)


def build(
    doc: dict[str, Any],
    source: str,
    settings: spec.Settings,
    content_data: spec.ContentData | None = None,
) -> spec.Policy:
    """Turn a validated document into a Policy; `settings` carries the resolved paths,
    `content_data` the files content checks read (`gitward.config.content_data`)."""
    rules = []
    for r in doc["rules"]:
        parts: dict[str, Any] = dict(r)
        if "signatures" in r:
            sigs = dict(r["signatures"])
            if "forge_merges" in sigs:
                sigs["forge_merges"] = spec.ForgeMerges(**sigs["forge_merges"])
            parts["signatures"] = spec.SignatureRule(**sigs)
        if "messages" in r:
            parts["messages"] = spec.MessageRule(**r["messages"])
        if "protection" in r:
            parts["protection"] = spec.RefProtection(**r["protection"])
        if "content" in r:
            parts["content"] = _content(r["content"])
        rules.append(spec.Rule(**parts))
    return spec.Policy(
        rules=tuple(rules),
        settings=settings,
        pusher_groups=dict(doc.get("pusher_groups", {})),
        source=source,
        content_data=content_data or spec.ContentData(),
    )

"""Validation of a policy document into `gitward.policy.spec` values.

The table (`policy_table.POLICY`) checks each value; the cross-checks here check what a table
cannot: unique rule ids (across `rules` and `policy_repository_rules`) and defined pusher
groups (signer references need the signer files, see `gitward.config.reference_problems`).
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


# The lists of rules: `rules`, and those for the repository the policy is read from.
RULE_LISTS = ("rules", "policy_repository_rules")


def _rules(doc: object) -> list[tuple[KeyPath, dict[Any, Any]]]:
    """(key path, rule) of every rule in either list, as far as the document is well formed."""
    out: list[tuple[KeyPath, dict[Any, Any]]] = []
    for key in RULE_LISTS:
        rules = doc.get(key) if isinstance(doc, dict) else None
        if isinstance(rules, list):
            out += [((key, i), r) for i, r in enumerate(rules) if isinstance(r, dict)]
    return out


def _strings(container: object, key: str, path: KeyPath) -> list[tuple[KeyPath, str]]:
    """(path, item) for every string item of the list `container[key]`, if there is one."""
    items = container.get(key) if isinstance(container, dict) else None
    if not isinstance(items, list):
        return []
    return [((*path, key, j), e) for j, e in enumerate(items) if isinstance(e, str)]


def _check_rule_ids(doc: object, out: Problems) -> None:
    seen: dict[str, KeyPath] = {}
    for path, rule in _rules(doc):
        rule_id = rule.get("id")
        if not isinstance(rule_id, str):
            continue
        if rule_id in seen:
            out.append(
                (
                    (*path, "id"),
                    f"expected a unique rule id, {rule_id!r} is "
                    f"already used by {seen[rule_id][0]}[{seen[rule_id][1]}]",
                )
            )
        seen.setdefault(rule_id, path)


def _check_pusher_groups(doc: object, out: Problems) -> None:
    groups = doc.get("pusher_groups") if isinstance(doc, dict) else None
    defined = set(groups) if isinstance(groups, dict) else set()
    for at, rule in _rules(doc):
        entries = _strings(rule, "bypass", at)
        entries += _strings(rule.get("protection"), "allowed_pushers", (*at, "protection"))
        for path, entry in entries:
            name = entry.removeprefix("group:")
            if entry.startswith("group:") and name not in defined:
                out.append(
                    (path, f"expected a pusher group defined in pusher_groups, got {name!r}")
                )


def signer_references(doc: object) -> list[tuple[KeyPath, str]]:
    """Every (key path, entry) naming a signer or `group:<name>` in signature rules (the
    forge's signer of `forge_merges` included) and in protected paths."""
    refs = []
    for at, rule in _rules(doc):
        content = rule.get("content")
        protected = content.get("protected_paths") if isinstance(content, dict) else None
        refs += _strings(protected, "signers", (*at, "content", "protected_paths"))
        sigs, path = rule.get("signatures"), (*at, "signatures")
        refs += _strings(sigs, "signers", path)
        forge = sigs.get("forge_merges") if isinstance(sigs, dict) else None
        signer = forge.get("signer") if isinstance(forge, dict) else None
        if isinstance(signer, str):
            refs.append(((*path, "forge_merges", "signer"), signer))
    return refs


def distinct_signer_needs(doc: object) -> list[tuple[KeyPath, int, tuple[str, ...]]]:
    """(key path, N, signer entries) of every signature rule with `min_distinct_signers: N`
    above 1, read from the raw document like `signer_references`."""
    out: list[tuple[KeyPath, int, tuple[str, ...]]] = []
    for path, rule in _rules(doc):
        sigs = rule.get("signatures")
        needed = sigs.get("min_distinct_signers") if isinstance(sigs, dict) else None
        if isinstance(needed, int) and not isinstance(needed, bool) and needed > 1:
            entries = tuple(e for _, e in _strings(sigs, "signers", ()))
            out.append(((*path, "signatures", "min_distinct_signers"), needed, entries))
    return out


def protected_signer_needs(doc: object) -> list[tuple[KeyPath, int, tuple[str, ...]]]:
    """(key path, N, signer entries) of every protected paths check with `min_signers: N`
    above 1, read from the raw document like `distinct_signer_needs`."""
    out: list[tuple[KeyPath, int, tuple[str, ...]]] = []
    for path, rule in _rules(doc):
        content = rule.get("content")
        protected = content.get("protected_paths") if isinstance(content, dict) else None
        needed = protected.get("min_signers") if isinstance(protected, dict) else None
        if isinstance(needed, int) and not isinstance(needed, bool) and needed > 1:
            entries = tuple(e for _, e in _strings(protected, "signers", ()))
            out.append(((*path, "content", "protected_paths", "min_signers"), needed, entries))
    return out


def content_files(doc: object) -> list[tuple[KeyPath, str]]:
    """Every (key path, file name) of a secrets allowlist a rule names."""
    found: list[tuple[KeyPath, str]] = []
    for at, rule in _rules(doc):
        content = rule.get("content")
        secrets = content.get("secrets") if isinstance(content, dict) else None
        name = secrets.get("allowlist") if isinstance(secrets, dict) else None
        if isinstance(name, str):
            found.append(((*at, "content", "secrets", "allowlist"), name))
    return found


def rego_files(doc: object) -> list[tuple[KeyPath, str]]:
    """Every (key path, file name) of a Rego policy a rule names."""
    found: list[tuple[KeyPath, str]] = []
    for at, rule in _rules(doc):
        content = rule.get("content")
        rego = content.get("rego") if isinstance(content, dict) else None
        found += _strings(rego, "policies", (*at, "content", "rego"))
    return found


def build(
    doc: dict[str, Any],
    source: str,
    settings: spec.Settings,
    content_data: spec.ContentData | None = None,
) -> spec.Policy:
    """Turn a validated document into a Policy; `settings` carries the resolved paths,
    `content_data` the files content checks read (`gitward.config.content_data`)."""
    return spec.Policy(
        rules=tuple(_rule(r) for r in doc["rules"]),
        settings=settings,
        pusher_groups=dict(doc.get("pusher_groups", {})),
        source=source,
        policy_repository_rules=tuple(_rule(r) for r in doc.get("policy_repository_rules", ())),
        content_data=content_data or spec.ContentData(),
    )


def _rule(r: dict[str, Any]) -> spec.Rule:
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
    return _with_distinct_signers(spec.Rule(**parts))


def _with_distinct_signers(rule: spec.Rule) -> spec.Rule:
    """`rule` with its `signatures.min_distinct_signers` also counted per changed file, as
    `protected_paths` counts: only the signers of the commits that bring each file's final
    version count. Counted over every new commit alone (`policy.quorum`), a second admin's
    signed commit of something else (a parked proposal, merged in) would vouch for a change
    they never saw."""
    sigs = rule.signatures
    if sigs is None or sigs.min_distinct_signers <= 1:
        return rule
    every = spec.ProtectedPaths(
        ("**",), sigs.signers, sigs.min_distinct_signers, "distinct-signers", every_path=True
    )
    content = rule.content or spec.ContentRule()
    return rule._replace(content=content._replace(distinct_signers=every))


def _content(value: dict[str, Any]) -> spec.ContentRule:
    parts: dict[str, Any] = dict(value)
    if "secrets" in value:
        parts["secrets"] = spec.SecretsCheck(**value["secrets"])
    if "files" in value:
        parts["files"] = spec.FilesCheck(**value["files"])
    if "protected_paths" in value:
        parts["protected_paths"] = spec.ProtectedPaths(**value["protected_paths"])
    if "kubernetes_secrets" in value:
        parts["kubernetes_secrets"] = spec.KubernetesSecretsCheck()
    if "rego" in value:
        parts["rego"] = spec.RegoCheck(tuple(value["rego"]["policies"]))
    return spec.ContentRule(**parts)

"""The defaults `gitward config schema` shows editors are the defaults the loader applies.

Both come from one table today; this test keeps it so if someone later gives a spec value a
default of its own. It walks every `default` in the published schema, so a new key with a
default is covered without touching this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gwpush import Signer, write_config

from gitward.config import load
from gitward.config.schema import policy_schema

# Every section with defaults, stated once and otherwise left empty, so that the loader has to
# fill in each default itself.
POLICY = """\
version: 1
rules:
  - id: r
    refs: [refs/heads/main]
    signatures: {signers: [alice], forge_merges: {}}
    messages: {must_match: 'x'}
    protection: {allowed_pushers: [bob]}
    content: {secrets: {}, files: {}, protected_paths: {paths: [x/], signers: [alice]}}
policy_repository_rules:
  - id: p
    refs: [refs/heads/main]
    signatures: {signers: [alice], forge_merges: {}}
    messages: {must_match: 'x'}
    protection: {allowed_pushers: [bob]}
    content: {secrets: {}, files: {}, protected_paths: {paths: [x/], signers: [alice]}}
"""


def _defaults(node: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = []
    if isinstance(node, dict):
        if "default" in node:
            found.append((path, node["default"]))
        for key, value in node.get("properties", {}).items():
            found += _defaults(value, (*path, key))
        if "items" in node:
            found += _defaults(node["items"], (*path, "[]"))
    return found


def _loaded_value(loaded: Any, path: tuple[str, ...]) -> Any:
    """The loaded value at a schema path: rules[] (policy_repository_rules[]) is the one rule,
    settings are absolute, and a list (loaded as a tuple) as JSON has it."""
    value: Any = loaded.policy
    for key in path:
        value = value[0] if key == "[]" else getattr(value, key)
    return list(value) if isinstance(value, tuple) else value


def test_every_schema_default_is_the_loaded_default(tmp_path: Path) -> None:
    loaded = load(write_config(tmp_path, POLICY, {"alice": Signer()}))
    defaults = dict(_defaults(policy_schema()))
    assert len(defaults) >= 15  # the walk really reached the nested sections
    assert defaults.pop(("version",)) == 1  # the format version is not a loaded value
    for path in (("settings", "audit_log"), ("settings", "signers_dir")):
        # Relative defaults become paths next to the policy file.
        assert _loaded_value(loaded, path) == str(tmp_path / defaults.pop(path))
    mismatched = {
        "/".join(path): (default, _loaded_value(loaded, path))
        for path, default in defaults.items()
        if _loaded_value(loaded, path) != default
    }
    assert mismatched == {}

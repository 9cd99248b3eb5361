"""The vendored gitleaks rule set: its TOML turned into JSON once, the JSON read into values.

`src/gitward/policy/content/gitleaks/gitleaks.toml` is upstream's default configuration,
byte for byte (its provenance and licence sit beside it). Reading it needs `tomllib`, ~10 ms a
push; `rules.json` beside it holds the same rules (`convert`, run by
`scripts/vendor_gitleaks.py`; a test keeps the two equal) and reads in ~1 ms. Rules RE2 cannot
run are left out of the JSON with the reason, and `usable` compiles what is left, for `gitward
config check` (the hook compiles a rule only when a blob holds one of its keywords).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from gitward.errors import ConfigError
from gitward.policy import patterns
from gitward.policy.spec import LeakAllowlist, LeakRule, LeakRules

DIRECTORY = Path(__file__).resolve().parents[1] / "policy" / "content" / "gitleaks"
TOML = DIRECTORY / "gitleaks.toml"
JSON_FILE = DIRECTORY / "rules.json"
SOURCE = "github.com/gitleaks/gitleaks config/gitleaks.toml"
RULESETS = ("gitleaks",)


def _allowlist(table: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": table.get("regexTarget", "secret") or "secret",
        "all_of": str(table.get("condition", "OR")).upper() == "AND",
        "regexes": list(table.get("regexes", [])),
        "paths": list(table.get("paths", [])),
        "stopwords": [w.lower() for w in table.get("stopwords", [])],
    }


def _patterns_of(rule: dict[str, Any]) -> list[str]:
    found = [p for p in (rule.get("regex"), rule.get("path")) if p]
    for allow in rule.get("allowlists", []):
        found += allow["regexes"] + allow["paths"]
    return found


def convert(doc: dict[str, Any], commit: str) -> dict[str, Any]:
    """The JSON document for a parsed gitleaks TOML `doc` taken at `commit`: every rule RE2
    can run (regex, path and allowlist patterns), and the others with RE2's reason."""
    rules, unusable = [], []
    for raw in doc.get("rules", []):
        rule = {
            "id": raw["id"],
            "description": raw.get("description", ""),
            "regex": raw.get("regex"),
            "keywords": [k.lower() for k in raw.get("keywords", [])],
            "entropy": float(raw.get("entropy", 0.0)),
            "path": raw.get("path"),
            "secret_group": int(raw.get("secretGroup", 0)),
            "allowlists": [_allowlist(a) for a in raw.get("allowlists", [])],
        }
        reasons = [r for r in map(patterns.problem, _patterns_of(rule)) if r is not None]
        if reasons:
            unusable.append({"id": rule["id"], "reason": reasons[0]})
        else:
            rules.append(rule)
    return {
        "name": "gitleaks",
        # Only the commit's start: 40 hex digits next to rule ids would look like a token to
        # the very rules (sourcegraph's); the whole id is in the directory's README.md.
        "source": f"{SOURCE} at {commit[:12]}",
        "allowlist": _allowlist(doc.get("allowlist", {})),
        "rules": rules,
        "unusable": unusable,
    }


def _allow(value: dict[str, Any]) -> LeakAllowlist:
    return LeakAllowlist(
        value["target"],
        value["all_of"],
        tuple(value["regexes"]),
        tuple(value["paths"]),
        tuple(value["stopwords"]),
    )


@lru_cache(maxsize=2)
def load(name: str = "gitleaks", path: Path = JSON_FILE) -> LeakRules:
    """The rule set `name` as values; `ConfigError` when its file is missing or broken (a
    broken install: fail closed)."""
    if name not in RULESETS:
        raise ConfigError([f"{path}:1: unknown secret rule set {name!r}"])
    try:
        doc = json.loads(path.read_bytes())
        rules = tuple(
            LeakRule(
                r["id"],
                r["description"],
                r["regex"],
                tuple(r["keywords"]),
                r["entropy"],
                r["path"],
                r["secret_group"],
                tuple(_allow(a) for a in r["allowlists"]),
            )
            for r in doc["rules"]
        )
        return LeakRules(doc["name"], doc["source"], rules, _allow(doc["allowlist"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError([f"{path}:1: cannot read the secret rule set: {exc}"]) from None


def unusable(path: Path = JSON_FILE) -> list[tuple[str, str]]:
    """(rule id, RE2's reason) of the upstream rules left out of the JSON."""
    doc = json.loads(path.read_bytes())
    return [(u["id"], u["reason"]) for u in doc["unusable"]]


def usable(rules: LeakRules) -> tuple[int, list[str]]:
    """How many rules RE2 compiles (every pattern of the rule), and why the others fail."""
    problems = []
    for rule in rules.rules:
        pats = [p for p in (rule.regex, rule.path) if p]
        pats += [p for a in rule.allowlists for p in (*a.regexes, *a.paths)]
        for pattern in pats:
            reason = patterns.problem(pattern)
            if reason is not None:
                problems.append(f"{rule.id}: {reason}")
                break
    return len(rules.rules) - len(problems), problems

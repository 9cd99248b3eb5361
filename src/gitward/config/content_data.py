"""The files content checks read besides the policy: secret rule sets, allowlists, Rego policies.

Only what a rule names is loaded: the vendored rule set (`gitleaks`) when a rule has
`content.secrets`, each allowlist file a rule names, validated by `ALLOWLIST` with the same
`FILE:LINE: key.path: expected ...` problems as the policy, and each Rego policy file a rule's
`content.rego.policies` names (read here, compiled on first use: `rego_files`). A missing or
broken allowlist is an error (fail closed: findings an admin reviewed would be refused, or
worse, a typo could hide that the file is not the one reviewed); so is a missing policy file.

    # secrets-allowlist.yaml, beside policy.yaml
    paths: ["tests/fixtures/**"]          # .gitignore-style globs: never scanned
    regexes: ['^AKIAIOSFODNN7EXAMPLE$']  # RE2, searched in each secret found
    fingerprints:                         # findings reviewed one by one
      - fingerprint: 0f1e2d3c4b5a69788796
        reason: test key of the demo (reviewed by dana, 2026-03-01)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gitward.config import gitleaks, policy_file, rego_files, yamlpos
from gitward.config.fields import KeyPath, Problems
from gitward.config.scalars import PathGlob, Regex, Str
from gitward.config.shapes import Field, ListOf, Obj
from gitward.errors import ConfigError
from gitward.policy import spec

if TYPE_CHECKING:
    from gitward.rego.policies import RegoPolicy

FINGERPRINT = r"[0-9a-f]{20}"

ALLOWLIST = Obj(
    {
        "paths": Field(
            ListOf(PathGlob()), "Files never scanned for secrets (.gitignore-style globs)."
        ),
        "regexes": Field(
            ListOf(Regex()), "RE2 regexes searched in each secret found: a match allows it."
        ),
        "fingerprints": Field(
            ListOf(
                Obj(
                    {
                        "fingerprint": Field(
                            Str("a finding's fingerprint (20 hex digits)", FINGERPRINT),
                            "As the report and the audit log show it.",
                            required=True,
                        ),
                        "reason": Field(
                            Str("a reason", min_length=1),
                            "Why it is allowed, and who reviewed it.",
                            required=True,
                        ),
                    },
                    "One reviewed finding.",
                )
            ),
            "Findings reviewed and allowed, by fingerprint.",
        ),
    },
    "A secrets allowlist: what an admin reviewed and allowed.",
)


def load(
    doc: dict[str, Any], source: yamlpos.Document, policy: Path, directory: Path
) -> tuple[spec.ContentData, list[str]]:
    """The content data the validated policy `doc` (read from `policy`, its relative paths
    starting at `directory`) names, and every problem found (as `FILE:LINE: ...`)."""
    problems: list[str] = []
    names = {
        r["content"]["secrets"].get("ruleset", "gitleaks")
        for r in doc["rules"]
        if "secrets" in r.get("content", {})
    }
    rulesets = {}
    for name in sorted(names):
        try:
            rulesets[name] = gitleaks.load(name)
        except ConfigError as exc:
            problems += exc.problems
    allowlists = {}
    for key_path, name in policy_file.content_files(source.value):
        if name in allowlists:
            continue
        found = _allowlist(directory / name, source, policy, key_path, problems)
        if found is not None:
            allowlists[name] = found
    rego = _rego(source, policy, directory, problems)
    return spec.ContentData(rulesets, allowlists, rego), problems


def _rego(
    source: yamlpos.Document, policy: Path, directory: Path, out: list[str]
) -> dict[tuple[str, ...], spec.RegoJudge]:
    """Every `content.rego.policies` list of the policy, its files read (not compiled)."""
    files: dict[str, rego_files.PolicyFile | None] = {}
    lists: dict[KeyPath, list[str]] = {}
    for key_path, name in policy_file.rego_files(source.value):
        lists.setdefault(key_path[:-1], []).append(name)
        if name not in files:
            files[name] = _policy_file(directory / name, source, policy, key_path, out)
    compiled: dict[Path, RegoPolicy] = {}
    found: dict[tuple[str, ...], spec.RegoJudge] = {}
    for names in lists.values():
        read = [f for n in names if (f := files[n]) is not None]
        found[tuple(names)] = rego_files.RegoPolicies(read, compiled)
    return found


def _policy_file(
    file: Path, source: yamlpos.Document, policy: Path, key_path: KeyPath, out: list[str]
) -> rego_files.PolicyFile | None:
    try:
        return rego_files.PolicyFile(file, file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        out.append(
            source.problem(policy, key_path, f"expected a Rego policy file, {file} does not exist")
        )
    except (OSError, UnicodeDecodeError) as exc:
        out.append(f"{file}:1: cannot read the Rego policy: {exc}")
    return None


def _allowlist(
    file: Path, source: yamlpos.Document, policy: Path, key_path: KeyPath, out: list[str]
) -> spec.SecretsAllowlist | None:
    try:
        doc = yamlpos.parse(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        what = f"expected an allowlist file, {file} does not exist"
        out.append(source.problem(policy, key_path, what))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        out.append(f"{file}:1: cannot read the allowlist: {exc}")
        return None
    except yamlpos.YamlSyntaxError as exc:
        out.append(f"{file}:{exc.line}: {exc.message}")
        return None
    problems: Problems = list(doc.problems)
    value = {} if doc.value is None else doc.value  # an empty file allows nothing
    checked = ALLOWLIST.check(value, (), problems)
    if problems:
        problems.sort(key=lambda p: doc.line_of(p[0]))
        out.extend(doc.problem(file, p, m) for p, m in problems)
        return None
    checked = cast(dict[str, Any], checked)  # a valid `Obj` checks into a dict
    return spec.SecretsAllowlist(
        paths=checked.get("paths", ()),
        regexes=checked.get("regexes", ()),
        fingerprints=tuple(
            spec.AllowedFinding(f["fingerprint"], f["reason"])
            for f in checked.get("fingerprints", ())
        ),
    )

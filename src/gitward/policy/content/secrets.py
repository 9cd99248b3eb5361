"""The secrets check: credentials in every file the rule's new commits bring. PURE.

`leaks` finds them with the rule set the policy names; what an admin reviewed is dropped here:
the allowlist's paths, its regexes (searched in the secret) and the fingerprints of findings.
A finding names the file, the commit, the line and the rule, and shows the secret only as a
redacted prefix, in the hint: the audit log keeps messages, never hints, so it holds the
fingerprint alone. Binary blobs and blobs over `max_bytes` are not scanned, and one warning
per rule and ref says which.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from gitward.errors import ConfigError, GitError
from gitward.model import GITLINK_MODE, SYMLINK_MODE, Blob, Violation
from gitward.policy import pathglobs, patterns
from gitward.policy.content import fixes
from gitward.policy.content.leaks import Finding, Scanner, allowed
from gitward.policy.content.scope import ContentCheck, Needs, NewFile, Scope
from gitward.policy.spec import LeakRules, SecretsAllowlist, SecretsCheck

SHOWN_SKIPPED = 3  # files named in the "not scanned" warning
SPEND_EVERY = 32  # files scanned between two looks at the budget


def fingerprint(rule_id: str, path: str, secret: str) -> str:
    """The finding's name in the report, the audit log and the allowlist: it says nothing of
    the secret but whether it is the same one in the same file."""
    import hashlib  # noqa: PLC0415  # only for findings

    text = f"{rule_id}\0{path}\0{secret}".encode("utf-8", "surrogateescape")
    return hashlib.sha256(text).hexdigest()[:20]


def redacted(secret: str) -> str:
    """The first characters of `secret` (at most 4, and at most a third of it), then `…`."""
    return secret[: min(4, len(secret) // 3)] + "…"


def needs(settings: SecretsCheck) -> Needs:
    return Needs(content_bytes=settings.max_bytes)


def _ruleset(scope: Scope, settings: SecretsCheck) -> tuple[LeakRules, Scanner]:
    rules = scope.ctx.policy.content_data.rulesets.get(settings.ruleset)
    if rules is None:  # the loader loads every rule set a rule names
        raise ConfigError([f"secret rule set {settings.ruleset!r} is not loaded"])
    key = ("secrets.scanner", settings.ruleset)
    if key not in scope.memo:
        scope.memo[key] = Scanner(rules)
    return rules, cast(Scanner, scope.memo[key])  # only this module writes the key


def _allowlist(scope: Scope, settings: SecretsCheck) -> SecretsAllowlist:
    if settings.allowlist is None:
        return SecretsAllowlist()
    found = scope.ctx.policy.content_data.allowlists.get(settings.allowlist)
    if found is None:
        raise ConfigError([f"secrets allowlist {settings.allowlist!r} is not loaded"])
    return found


def run(scope: Scope, settings: SecretsCheck) -> Iterator[Violation]:
    rules, scanner = _ruleset(scope, settings)
    allow = _allowlist(scope, settings)
    reviewed = {a.fingerprint for a in allow.fingerprints}
    skipped: list[tuple[NewFile, str]] = []
    for n, file in enumerate(scope.files):
        if n % SPEND_EVERY == 0:
            scope.spend("scanning new files for secrets")
        if file.mode in (GITLINK_MODE, SYMLINK_MODE) or _left_out(scanner, allow, file.path):
            continue
        found = [Finding(r, 0, file.path, file.path, "") for r in scanner.path_rules(file.path)]
        blob = scope.blob(file.oid)
        why = _unscanned(blob, settings)
        if why:
            skipped.append((file, why))
        else:
            found += _scan(scope, scanner, settings.ruleset, blob)
        for finding in found:
            mark = fingerprint(finding.rule.id, file.path, finding.secret)
            if mark in reviewed or allowed(rules, finding, file.path):
                continue
            if not _user_allows(allow, finding):
                yield _violation(scope, file, finding, mark)
    if skipped:
        yield _not_scanned(scope, settings, skipped)


def _left_out(scanner: Scanner, allow: SecretsAllowlist, path: str) -> bool:
    return scanner.skips_path(path) or (bool(allow.paths) and pathglobs.select(allow.paths, path))


def _unscanned(blob: Blob, settings: SecretsCheck) -> str:
    """Why `blob` is not scanned ("" when it is)."""
    if blob.size > settings.max_bytes:
        return f"{_size(blob.size)}, over {_size(settings.max_bytes)}"
    if blob.data is None:
        if not blob.skipped:
            raise GitError(f"blob {blob.oid} was not read; refusing to judge it")
        return blob.skipped
    return ""


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def _scan(scope: Scope, scanner: Scanner, ruleset: str, blob: Blob) -> list[Finding]:
    key = ("secrets.scan", ruleset, blob.oid)
    if key not in scope.memo:
        scope.memo[key] = scanner.scan(blob.data or b"")
    return cast(list[Finding], scope.memo[key])  # only this module writes the key


def _user_allows(allow: SecretsAllowlist, finding: Finding) -> bool:
    return any(patterns.search(r, finding.secret) is not None for r in allow.regexes)


def _violation(scope: Scope, file: NewFile, finding: Finding, mark: str) -> Violation:
    rule = finding.rule
    if finding.line:
        what = f"secret ({rule.id}) in {file.path} line {finding.line}, fingerprint {mark}"
        remove = f'remove the secret starting "{redacted(finding.secret)}" and revoke it'
    else:  # a rule that flags the file itself (PKCS #12 bundles)
        what = f"secret file ({rule.id}) {file.path}, fingerprint {mark}"
        remove = f"remove {file.path} and revoke the keys it holds"
    fix = fixes.rewrite(scope.ctx, file.commit, remove)
    hint = f"{fix}; if it is no secret, ask an admin to allow fingerprint {mark}"
    return scope.violation("secret", what, hint, file.commit)


def _not_scanned(
    scope: Scope, settings: SecretsCheck, skipped: list[tuple[NewFile, str]]
) -> Violation:
    named = ", ".join(f"{f.path} ({why})" for f, why in skipped[:SHOWN_SKIPPED])
    more = len(skipped) - SHOWN_SKIPPED
    what = f"{len(skipped)} file(s) not scanned for secrets: {named}"
    what += f" and {more} more" if more > 0 else ""
    hint = (
        "ask an admin to raise content.secrets.max_bytes if large files need scanning "
        f"(now {_size(settings.max_bytes)}; binary files never are)"
    )
    return scope.violation("secrets-not-scanned", what, hint, None)._replace(mode="warn")


CHECK = ContentCheck(needs, run)

"""Secrets in one blob, found by a gitleaks-style rule set the way gitleaks finds them. PURE.

For each rule (`spec.LeakRule`), as gitleaks' detector does:
1. keywords: the rule's regex runs only on a blob that holds one of its keywords, compared
   case-insensitively (one RE2 set of every keyword tells which are there, in one pass);
2. every match of the regex is a candidate; its secret is the rule's `secret_group`, else the
   first non-empty capture group, else the whole match;
3. entropy: with a threshold, the secret's Shannon entropy must exceed it, and a `generic*`
   rule's secret must hold a digit;
4. allowlists (the rule's own, then the set's global one) drop what they match: paths, regexes
   on the secret, the match or its line, stopwords in the secret; `all_of` means every kind
   given must match (gitleaks' `condition = "AND"`).

Left out of gitleaks: inline `gitleaks:allow` comments (the pusher would allowlist their own
secret: gitward's allowlist lives with the policy, see `secrets`), decoding base64 before
scanning, and `.gitleaksignore` (replaced by reviewed fingerprints).

Every regex runs with RE2 (linear time, as Go's `regexp` that gitleaks uses, same syntax);
a rule's regex is compiled the first time a blob holds one of its keywords.
"""

import math
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple, cast

from gitward.policy import patterns
from gitward.policy.spec import LeakAllowlist, LeakRule, LeakRules

if TYPE_CHECKING:
    import re2

# The keyword set is literal strings; RE2 needs room for their DFA (about 1 MiB measured).
_SET_MEMORY = 64 << 20
# A rule's regex: RE2's default 8 MiB keeps too few DFA states for the rules that start with
# `[\w.-]{0,50}?` (generic-api-key ran at ~20 MB/s, ~80 with this); memory grows only as needed.
_RULE_MEMORY = 32 << 20


class Finding(NamedTuple):
    rule: LeakRule
    line: int  # 1-based line of the match's start
    secret: str
    match: str
    line_text: str  # the lines the match spans


def _options() -> "re2.Options":
    import re2  # noqa: PLC0415  # on first use, as in `patterns`

    options = re2.Options()
    options.log_errors = False  # RE2 logs to stderr: the pusher's terminal
    return options


def entropy(text: str) -> float:
    """Shannon entropy of `text` per byte, as gitleaks computes it."""
    size = len(text.encode("utf-8", "surrogateescape"))
    if not size:
        return 0.0
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


class Scanner:
    """One rule set ready to scan: the keyword set built once, regexes compiled on first use.
    Holds only caches; a scan's result depends on the rule set and the bytes alone."""

    def __init__(self, rules: LeakRules) -> None:
        self.rules = rules
        self._keywords: list[str] = sorted({k for r in rules.rules for k in r.keywords})
        self._by_keyword: list[list[int]] = [[] for _ in self._keywords]
        index = {k: i for i, k in enumerate(self._keywords)}
        self._always: list[int] = []  # rules without keywords run on every blob
        for n, rule in enumerate(rules.rules):
            if rule.regex is None:
                continue
            if not rule.keywords:
                self._always.append(n)
            for keyword in rule.keywords:
                self._by_keyword[index[keyword]].append(n)
        self._set: re2.Set | None = None
        self._regexes: dict[str, re2._Regexp[bytes]] = {}
        self._path_only = [r for r in rules.rules if r.regex is None and r.path]
        paths = rules.allowlist.paths
        self._skipped_paths = "|".join(f"(?:{p})" for p in paths) if paths else None

    def _keyword_set(self) -> "re2.Set":
        if self._set is None:
            import re2  # noqa: PLC0415

            options = _options()
            options.max_mem = _SET_MEMORY
            found = re2.Set.SearchSet(options)
            for keyword in self._keywords:
                found.Add("(?i)" + re2.escape(keyword))
            found.Compile()
            self._set = found
        return self._set

    def _regex(self, pattern: str) -> "re2._Regexp[bytes]":
        if pattern not in self._regexes:
            import re2  # noqa: PLC0415

            options = _options()
            options.max_mem = _RULE_MEMORY
            self._regexes[pattern] = re2.compile(pattern.encode(), options)
        return self._regexes[pattern]

    def skips_path(self, path: str) -> bool:
        """True when the set's global allowlist leaves the file out whole (lock files,
        images, vendored dependencies...): gitleaks does not scan those."""
        return self._skipped_paths is not None and _search(self._skipped_paths, path)

    def path_rules(self, path: str) -> list[LeakRule]:
        """The rules that flag a file by its path alone (no regex), and that match `path`."""
        return [r for r in self._path_only if r.path is not None and _search(r.path, path)]

    def triggered(self, data: bytes) -> list[tuple[LeakRule, str]]:
        """The rules whose regex must run on `data` (with that regex), in the set's order."""
        hits = set(self._always)
        # The stubs say bool; RE2's Set.Match gives the indices of the patterns found, or None.
        matched = cast("list[int] | None", self._keyword_set().Match(data))
        for k in matched or ():
            hits.update(self._by_keyword[k])
        found = [self.rules.rules[n] for n in sorted(hits)]
        return [(rule, rule.regex) for rule in found if rule.regex is not None]

    def scan(self, data: bytes) -> list[Finding]:
        """Every finding in `data` that survives entropy and the allowlists' path-free parts
        (paths are the caller's: the same blob may sit at several paths)."""
        found = []
        for rule, regex in self.triggered(data):
            for finding in _matches(rule, self._regex(regex), data):
                if _strong(rule, finding.secret):
                    found.append(finding)
        return found


def _matches(rule: LeakRule, regex: "re2._Regexp[bytes]", data: bytes) -> Iterator[Finding]:
    for m in regex.finditer(data):
        start, end = m.start(), m.end()
        groups = m.groups()
        if rule.secret_group and rule.secret_group <= len(groups):
            raw = groups[rule.secret_group - 1] or b""
        else:
            raw = next((g for g in groups if g), m.group(0))
        begin = data.rfind(b"\n", 0, start) + 1
        stop = data.find(b"\n", end)
        yield Finding(
            rule,
            data.count(b"\n", 0, start) + 1,
            raw.decode("utf-8", "surrogateescape"),
            m.group(0).decode("utf-8", "surrogateescape"),
            data[begin : len(data) if stop < 0 else stop].decode("utf-8", "surrogateescape"),
        )


def _strong(rule: LeakRule, secret: str) -> bool:
    """Entropy above the rule's threshold; a generic rule's secret also holds a digit (what
    gitleaks does in place of a lookahead its regex engine lacks)."""
    if not secret:
        return False
    if not rule.entropy:
        return True
    if entropy(secret) <= rule.entropy:
        return False
    return not rule.id.startswith("generic") or any(c.isdigit() for c in secret)


def _search(pattern: str, text: str) -> bool:
    return patterns.search(pattern, text) is not None


def _allows(allow: LeakAllowlist, finding: Finding, path: str) -> bool:
    checks = []
    if allow.paths:
        checks.append(any(_search(p, path) for p in allow.paths))
    if allow.regexes:
        target = {"match": finding.match, "line": finding.line_text}.get(
            allow.target, finding.secret
        )
        checks.append(any(_search(r, target) for r in allow.regexes))
    if allow.stopwords:
        secret = finding.secret.lower()
        checks.append(any(word in secret for word in allow.stopwords))
    if not checks:
        return False
    return all(checks) if allow.all_of else any(checks)


def allowed(rules: LeakRules, finding: Finding, path: str) -> bool:
    """True when the rule's or the set's allowlist drops `finding` found at `path`."""
    if finding.rule.path is not None and not _search(finding.rule.path, path):
        return True  # the rule only looks at other files (`*.tf`, `*.php`...)
    return any(_allows(a, finding, path) for a in (*finding.rule.allowlists, rules.allowlist))

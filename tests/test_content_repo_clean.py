"""gitward's own repository passes its own secret scan: every file it tracks (or is about to),
scanned with the vendored rules as a push would be, finds nothing but what reviewers allowed
in tests/repo-secrets-allowlist.yaml. The test secrets are made at run time (gwsecrets), so a
new test cannot add a live-looking one without this test saying so."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitward.config import content_data, gitleaks, yamlpos
from gitward.policy import pathglobs
from gitward.policy.content.leaks import Scanner, allowed
from gitward.policy.content.secrets import fingerprint

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = ROOT / "tests" / "repo-secrets-allowlist.yaml"


def _allowlist() -> tuple[tuple[str, ...], set[str]]:
    doc = yamlpos.parse(ALLOWLIST.read_text())
    problems: list[tuple[tuple[str | int, ...], str]] = []
    checked = content_data.ALLOWLIST.check(doc.value, (), problems)
    assert problems == [] and isinstance(checked, dict)
    return checked.get("paths", ()), {f["fingerprint"] for f in checked["fingerprints"]}


def test_the_repository_holds_no_secret_but_the_reviewed_ones() -> None:
    rules = gitleaks.load()
    scanner = Scanner(rules)
    paths, reviewed = _allowlist()
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
    found, used, scanned = [], set(), 0
    for name in filter(None, listing.split("\0")):
        file = ROOT / name
        if scanner.skips_path(name) or pathglobs.select(paths, name) or not file.is_file():
            continue
        data = file.read_bytes()
        if file.is_symlink() or b"\0" in data[:8000]:
            continue
        scanned += 1
        for finding in scanner.scan(data):
            mark = fingerprint(finding.rule.id, name, finding.secret)
            if mark in reviewed:
                used.add(mark)
            elif not allowed(rules, finding, name):
                found.append(f"{name}:{finding.line}: {finding.rule.id} ({mark})")
    assert scanned > 200
    assert found == []
    assert used == reviewed  # no stale entry

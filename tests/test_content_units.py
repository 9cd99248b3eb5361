"""Corners of the content family: gitleaks semantics on hand-made rules, globs' escapes,
shared allowlists and scanners, the scope's accessors for the checks still to come."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest
from gwcontent import content_push
from gwpush import Signer, write_config

from gitward.config import gitleaks, load
from gitward.errors import GitError
from gitward.model import TipFile
from gitward.policy import content, pathglobs
from gitward.policy.content.leaks import Finding, Scanner, allowed
from gitward.policy.content.scope import Scope
from gitward.policy.context import RuleContext
from gitward.policy.engine import evaluate
from gitward.policy.spec import (
    ContentData,
    ContentRule,
    LeakAllowlist,
    LeakRule,
    LeakRules,
    Policy,
    Rule,
    SecretsCheck,
    Signers,
)

RULE = LeakRule("tok", "a token", r"tok-([a-z]*)-([0-9]+)", ("tok-",), secret_group=2)
SET = LeakRules("test", "here", (RULE,))


def test_the_secret_group_and_empty_secrets() -> None:
    (finding,) = Scanner(SET).scan(b"x tok-abc-123 y")
    assert (finding.secret, finding.match, finding.line) == ("123", "tok-abc-123", 1)
    first = SET._replace(rules=(RULE._replace(secret_group=0),))
    assert [f.secret for f in Scanner(first).scan(b"tok-abc-1")] == ["abc"]
    empty = SET._replace(rules=(RULE._replace(regex=r"tok-(x*)", secret_group=1),))
    assert Scanner(empty).scan(b"tok-") == []


def test_allowlists_without_conditions_allow_nothing_and_and_needs_all() -> None:
    finding = Finding(RULE, 1, "123", "tok-abc-123", "line tok-abc-123")
    assert not allowed(SET._replace(allowlist=LeakAllowlist()), finding, "a.txt")
    both = LeakAllowlist(all_of=True, paths=(r"\.txt$",), regexes=("^line",), target="line")
    assert allowed(SET._replace(allowlist=both), finding, "a.txt")
    assert not allowed(SET._replace(allowlist=both), finding, "a.md")
    words = LeakAllowlist(stopwords=("12",))
    assert allowed(SET._replace(allowlist=words), finding, "a.md")
    match = LeakAllowlist(target="match", regexes=("abc",))
    assert allowed(SET._replace(allowlist=match), finding, "a.md")


def test_usable_reports_a_rule_re2_cannot_compile() -> None:
    broken = SET._replace(rules=(RULE, RULE._replace(id="bad", regex="a(?=b)")))
    count, problems = gitleaks.usable(broken)
    assert count == 1 and problems[0].startswith("bad: ")


@pytest.mark.parametrize(
    ("glob", "path", "selected"),
    [("[]]x", "]x", True), ("a\\*b", "a*b", True), ("a\\*b", "axb", False), ("[!]]", "a", True)],
)
def test_glob_escapes_and_brackets(glob: str, path: str, selected: bool) -> None:
    assert pathglobs.select((glob,), path) is selected


def policy(*rules: Rule) -> Policy:
    data = ContentData(MappingProxyType({"gitleaks": gitleaks.load()}))
    return Policy(rules, content_data=data)


def test_two_rules_share_one_scanner_and_one_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    scans = []
    real = Scanner.scan

    def counting(self: Scanner, data: bytes) -> list[Finding]:
        scans.append(data)
        return real(self, data)

    monkeypatch.setattr(Scanner, "scan", counting)
    secrets = ContentRule(secrets=SecretsCheck())
    p = policy(Rule("a", ("refs/heads/**",), content=secrets), Rule("b", ("refs/**",),
               content=secrets))  # fmt: skip
    evaluate(p, Signers(), content_push(p, [{"x.txt": b"hello\n"}]))
    assert scans == [b"hello\n"]


def scope(push_files: dict[str, bytes]) -> Scope:
    p = policy(Rule("a", ("refs/heads/**",), content=ContentRule(secrets=SecretsCheck())))
    push = content_push(p, [push_files])
    ctx = RuleContext(p, Signers(), push, push.refs[0], p.rules[0])
    return Scope(ctx, ContentRule(), ())


def test_the_scope_gives_documents_and_the_tip_commit() -> None:
    s = scope({"a.yaml": b"a: 1\n"})
    oid = next(iter(s.ctx.push.blobs))
    with pytest.raises(GitError, match=r"a\.yaml of refs/heads/main was not parsed"):
        s.documents("a.yaml", oid)
    parsed = s.ctx.push._replace(documents={("a.yaml", oid): ({"a": 1},), ("b", oid): None})
    judged = Scope(s.ctx._replace(push=parsed), s.content, ())
    assert judged.documents("a.yaml", oid) == ({"a": 1},)
    assert judged.documents("b", oid) is None  # read, and no manifest
    with pytest.raises(GitError, match="the tree refs/heads/main held was not read"):
        judged.before("a.yaml")
    held = judged.ctx.facts._replace(before_files={"a.yaml": TipFile("a.yaml", oid, "100644")})
    then = Scope(judged.ctx._replace(facts=held), s.content, ())
    assert then.before("a.yaml") == ({"a": 1},) and then.before("new.yaml") is None
    assert s.tip_commit() == s.ctx.facts.update.new
    assert s.memo == {}  # no shared memo outside an evaluation: a private one


def test_the_family_judges_nothing_without_content() -> None:
    s = scope({"a": b""})
    bare = s.ctx._replace(rule=Rule("plain", ("refs/**",)))
    assert list(content.check(bare)) == []


def test_rules_sharing_an_allowlist_load_it_once(tmp_path: Path) -> None:
    text = "version: 1\nrules:\n" + "".join(
        f"  - id: r{i}\n    refs: [refs/heads/main]\n"
        "    content: {secrets: {allowlist: allow.yaml}}\n"
        for i in range(2)
    )
    path = write_config(tmp_path, text, {"alice": Signer()})
    (tmp_path / "allow.yaml").write_text("regexes: ['^x$']\n")
    assert list(load(path).policy.content_data.allowlists) == ["allow.yaml"]


def test_a_missing_checker_refuses_with_its_own_line() -> None:
    from gitward.errors import CheckerUnavailable
    from gitward.hook.fail import describe

    assert describe(CheckerUnavailable("regorus is not installed"), 4) == (
        "a content checker is missing on the server"
    )

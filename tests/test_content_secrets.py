"""The secrets check through the pure engine: a corpus of real-looking positives and negatives
(made at run time, see gwsecrets), what a finding says and never says, allowlists, files not
scanned, and modes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import gwsecrets
import pytest
from gwcontent import ZERO, Content, commit_id, content_push

from gitward.audit.record import audit_record
from gitward.config import gitleaks
from gitward.errors import ConfigError, GitError
from gitward.model import Origin, Pusher, Violation
from gitward.policy import spec
from gitward.policy.content.secrets import fingerprint, redacted
from gitward.policy.engine import evaluate
from gitward.policy.spec import (
    AllowedFinding,
    ContentData,
    ContentRule,
    Policy,
    Rule,
    SecretsAllowlist,
    SecretsCheck,
    Signers,
)

RULES = gitleaks.load()


def policy(
    check: SecretsCheck | None = None,
    allow: SecretsAllowlist | None = None,
    *,
    mode: spec.RuleMode = "enforce",
    bypass: tuple[str, ...] = (),
    paths: tuple[str, ...] | None = None,
) -> Policy:
    check = check or SecretsCheck(allowlist="allow.yaml" if allow else None)
    content = ContentRule(paths=paths, secrets=check)
    rule = Rule("gate", ("refs/heads/**",), mode=mode, content=content, bypass=bypass)
    data = ContentData(
        MappingProxyType({"gitleaks": RULES}),
        MappingProxyType({"allow.yaml": allow} if allow else {}),
    )
    return Policy((rule,), content_data=data)


def found(p: Policy, *commits: Mapping[str, Content]) -> list[Violation]:
    return list(evaluate(p, Signers(), content_push(p, commits)).violations)


@pytest.mark.parametrize("rule_id", sorted(gwsecrets.POSITIVES))
@pytest.mark.parametrize("seed", range(5))
def test_each_positive_is_found_by_its_rule(rule_id: str, seed: int) -> None:
    make, text = gwsecrets.POSITIVES[rule_id]
    secret = make(gwsecrets.rng(seed))
    (v,) = [v for v in found(policy(), {"config/app.txt": text.format(secret).encode()})
            if f"({rule_id})" in v.message]  # fmt: skip
    assert v.rule_id == "gate/secret" and v.mode == "enforce"
    assert v.oid == commit_id(0)
    assert "config/app.txt line" in v.message


@pytest.mark.parametrize("name", sorted(gwsecrets.NEGATIVES))
def test_each_negative_is_no_finding(name: str) -> None:
    assert found(policy(), {"app/settings.py": gwsecrets.NEGATIVES[name].encode()}) == []


def test_a_finding_names_file_commit_line_and_rule_never_the_secret() -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(1))
    text = f"# settings\n\nregion = eu-west-1\naws_access_key_id = {key}\n".encode()
    (v,) = found(policy(), {"README": b"hi\n"}, {"deploy/prod.env": text})
    mark = fingerprint("aws-access-token", "deploy/prod.env", key)
    assert v.message == f"secret (aws-access-token) in deploy/prod.env line 4, fingerprint {mark}"
    assert v.oid == commit_id(1)
    assert key not in v.message + v.hint
    assert f'"{key[:4]}…"' in v.hint  # the redacted prefix, for the pusher only
    assert f"allow fingerprint {mark}" in v.hint
    # The audit log keeps messages, never hints: only the fingerprint.
    origin = Origin(Pusher("alice", "local"))
    record = str(audit_record(received_at=content_push(policy(), [{}]).received_at,
                              origin=origin, updates=[], verdict_name="refused",
                              commits_checked=2, verdict=evaluate(policy(), Signers(),
                              content_push(policy(), [{"deploy/prod.env": text}])),
                              duration_ms=1))  # fmt: skip
    assert mark in record and key not in record and key[:4] not in record


def test_redaction_shows_at_most_four_characters_and_a_third() -> None:
    assert redacted("abcdefghijklmnop") == "abcd…"
    assert redacted("abcdef") == "ab…"
    assert redacted("ab") == "…"


def test_a_secret_added_then_deleted_is_still_found() -> None:
    token = gwsecrets.github_pat(gwsecrets.rng(2))
    listed = found(policy(), {"ci.sh": f"TOKEN={token}\n".encode()}, {"ci.sh": b"TOKEN=$T\n"})
    (v,) = [v for v in listed if "(github-pat)" in v.message]
    assert v.oid == commit_id(0) and "(github-pat) in ci.sh line 1" in v.message


def test_the_same_blob_twice_is_scanned_once_and_reported_per_path() -> None:
    token = gwsecrets.github_pat(gwsecrets.rng(3)).encode()
    v = found(policy(), {"a.sh": token + b"\n"}, {"b.sh": token + b"\n", "a.sh": token + b"\n"})
    assert {x.message.split(" ")[1] for x in v} == {"(github-pat)"}
    assert sorted(x.message.split(" in ")[1].split(" ")[0] for x in v) == ["a.sh", "b.sh"]


def test_allowlist_by_fingerprint_path_and_regex() -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(4))
    files = {"a.env": f"k={key}\n".encode(), "fixtures/b.env": f"k={key}\n".encode()}
    assert len(found(policy(), files)) == 2
    mark = fingerprint("aws-access-token", "a.env", key)
    reviewed = SecretsAllowlist(fingerprints=(AllowedFinding(mark, "demo key"),))
    assert [v.message.split(" in ")[1][:14] for v in found(policy(allow=reviewed), files)] == [
        "fixtures/b.env"
    ]
    by_path = SecretsAllowlist(paths=("fixtures/",))
    assert [v.message.split(" in ")[1][:5] for v in found(policy(allow=by_path), files)] == [
        "a.env"
    ]
    by_regex = SecretsAllowlist(regexes=(f"^{key[:8]}",))
    assert found(policy(allow=by_regex), files) == []


def test_paths_select_what_is_scanned() -> None:
    token = gwsecrets.github_pat(gwsecrets.rng(5)).encode()
    files = {"docs/a.md": token, "src/b.py": token}
    (v,) = found(policy(paths=("**", "!docs/")), files)
    assert "src/b.py" in v.message


def test_rule_sets_own_allowlists_and_path_rules_apply() -> None:
    # gitleaks skips lock files and images; its PKCS #12 rule flags the file by name.
    token = gwsecrets.github_pat(gwsecrets.rng(6)).encode()
    (v,) = found(policy(), {"package-lock.json": token, "certs/client.p12": b"opaque"})
    assert v.message.startswith("secret file (pkcs12-file) certs/client.p12")
    assert v.hint.startswith("remove certs/client.p12 and revoke the keys it holds")
    # A rule for Terraform files only looks at them.
    tf = f'password = "{gwsecrets.generic_password(gwsecrets.rng(7))[:14]}"\n'.encode()
    assert [x for x in found(policy(), {"main.tf": tf}) if "hashicorp-tf-password" in x.message]
    assert not [x for x in found(policy(), {"main.py": tf}) if "hashicorp" in x.message]


def test_binary_and_large_files_are_not_scanned_and_said_so() -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(8)).encode()
    check = SecretsCheck(max_bytes=1000)
    files = {
        "logo.dat": b"\0\1\2" + key,
        "dump.sql": b"-- " + key + b"\n" + b"x" * 2000,
        "a.txt": b"x",
        "b.txt": b"\0",
        "c.txt": b"\0\0",
    }
    (note,) = found(policy(check), files)
    assert note.rule_id == "gate/secrets-not-scanned" and note.mode == "warn"
    assert note.message.startswith("4 file(s) not scanned for secrets: logo.dat (binary), ")
    assert "dump.sql (2 KiB, over 1000 bytes)" in note.message
    assert note.message.endswith(" and 1 more")
    assert note.hint.startswith("ask an admin to raise content.secrets.max_bytes")


def test_a_note_stays_a_warning_under_bypass_and_the_finding_is_bypassed() -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(9))
    p = policy(SecretsCheck(max_bytes=100), bypass=("alice",))
    commits = [{"a.env": f"k={key}\n".encode(), "big.txt": b"y" * 200}]
    listed = evaluate(p, Signers(), content_push(p, commits))
    # The note is about the update, not a commit: it comes first.
    assert [(v.rule_id, v.mode) for v in listed.violations] == [
        ("gate/secrets-not-scanned", "warn"), ("gate/secret", "enforce"),
    ]  # fmt: skip
    assert "bypass" not in listed.violations[0].hint
    assert "bypass this rule" in listed.violations[1].hint
    done = evaluate(p, Signers(), content_push(p, commits, options=("gitward.reason=demo",)))
    assert [v.mode for v in done.violations] == ["warn", "bypassed"]
    assert len(done.bypasses) == 1 and done.allowed
    only_note = evaluate(p, Signers(), content_push(p, [{"big.txt": b"y" * 200}], options=(
        "gitward.reason=demo",)))  # fmt: skip
    assert [v.mode for v in only_note.violations] == ["warn"] and only_note.bypasses == ()


def test_warn_mode_reports_without_blocking() -> None:
    key = gwsecrets.aws_key_id(gwsecrets.rng(10))
    verdict = evaluate(policy(mode="warn"), Signers(),
                       content_push(policy(mode="warn"), [{"a": f"{key}\n".encode()}]))  # fmt: skip
    assert verdict.allowed and [v.mode for v in verdict.violations] == ["warn"]


def test_incomplete_facts_and_missing_data_fail_closed() -> None:
    p = policy(allow=SecretsAllowlist())
    push = content_push(p, [{"a.txt": b"x"}])
    with pytest.raises(GitError, match="was not read"):
        evaluate(p, Signers(), push._replace(blobs={}))
    with pytest.raises(GitError, match="files of commit"):
        evaluate(p, Signers(), push._replace(changes={}))
    unread = {k: b._replace(data=None) for k, b in push.blobs.items()}
    with pytest.raises(GitError, match="was not read"):
        evaluate(p, Signers(), push._replace(blobs=unread))
    no_rules = p._replace(content_data=ContentData())
    with pytest.raises(ConfigError, match="not loaded"):
        evaluate(no_rules, Signers(), push)
    no_allowlist = p._replace(content_data=p.content_data._replace(allowlists={}))
    with pytest.raises(ConfigError, match=r"allowlist 'allow\.yaml' is not loaded"):
        evaluate(no_allowlist, Signers(), push)


def test_the_budget_is_looked_at_while_scanning() -> None:
    class Spent:
        def check(self, what: str) -> None:
            raise TimeoutError(what)

    p = policy()
    with pytest.raises(TimeoutError, match="scanning new files for secrets"):
        evaluate(p, Signers(), content_push(p, [{"a": b"x"}]), budget=Spent())


def test_deletions_and_rules_without_checks_judge_nothing() -> None:
    p = policy()
    push = content_push(p, [{"a": b"x"}])
    gone = push.refs[0]._replace(update=push.refs[0].update._replace(new=ZERO),
                                 commits_by_rule={"gate": ()})  # fmt: skip
    assert evaluate(p, Signers(), push._replace(refs=(gone,))).violations == ()
    empty = Policy((Rule("gate", ("refs/heads/**",), content=ContentRule()),))
    assert evaluate(empty, Signers(), push).violations == ()

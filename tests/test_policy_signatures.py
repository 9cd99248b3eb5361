"""The signatures family of the policy engine, on literal commits, tags and signer lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitward.model import (
    Commit,
    Person,
    Push,
    Pusher,
    RefFacts,
    RefUpdate,
    SigKind,
    SignatureCheck,
    Tag,
)
from gitward.policy.engine import evaluate
from gitward.policy.spec import (
    KeyValidity,
    OpenPGPKey,
    Policy,
    Rule,
    SignatureRule,
    Signer,
    Signers,
    SSHKey,
)

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, NEW, PARENT = "a" * 40, "b" * 40, "c" * 40
ZERO = "0" * 40
FP = {name: (name[0].upper() * 40) for name in ("alice", "bob", "carol", "dave", "erin", "mallory")}
ALICE_SUB = "F" * 40
ALICE_OLD_SUB = "E" * 40
ALICE_SSH = "SHA256:alicealicealicealicealicealicealicealice00"


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def gpg_key(name: str, **kw: object) -> OpenPGPKey:
    return OpenPGPKey(FP[name], **kw)  # type: ignore[arg-type]


SIGNERS = Signers(
    (
        Signer(
            "alice",
            "Alice",
            ("alice@example.com", "Alice@Work.example"),
            ("maintainers",),
            (
                gpg_key(
                    "alice",
                    primary_can_sign=False,
                    signing_subkeys={ALICE_SUB: day(2027, 1, 1), ALICE_OLD_SUB: day(2026, 2, 1)},
                ),
            ),
            (SSHKey(ALICE_SSH, "ssh-ed25519 AAAA alice"),),
        ),
        Signer(
            "bob",
            "Bob",
            ("bob@example.com",),
            ("maintainers",),
            (gpg_key("bob", validity=KeyValidity(not_after=day(2026, 1, 1))),),
        ),
        Signer(
            "carol",
            "Carol",
            ("carol@example.com",),
            ("maintainers",),
            (gpg_key("carol", validity=KeyValidity(revoked_since=day(2026, 2, 1))),),
        ),
        Signer(
            "dave",
            "Dave",
            ("dave@example.com",),
            ("maintainers",),
            (gpg_key("dave", validity=KeyValidity(not_before=day(2026, 6, 1))),),
        ),
        Signer(
            "erin",
            "Erin",
            ("erin@example.com",),
            ("maintainers",),
            (gpg_key("erin", expires_at=day(2026, 2, 1), cert_revoked=False),),
        ),
        Signer("mallory", "Mallory", ("mallory@example.com",), (), (gpg_key("mallory"),)),
    )
)


def good(
    name: str, signing_key: str | None = None, kind: SigKind = SigKind.OPENPGP
) -> SignatureCheck:
    fp = FP.get(name, name)
    return SignatureCheck(kind, True, fp, signing_key or fp, RECEIVED)


def alice_sig(signing_key: str = ALICE_SUB) -> SignatureCheck:
    return SignatureCheck(SigKind.OPENPGP, True, FP["alice"], signing_key, RECEIVED)


def commit(
    sig: SignatureCheck, email: str = "alice@example.com", oid: str = NEW, when: datetime = RECEIVED
) -> Commit:
    who = Person("Alice", email, int(when.timestamp()))
    return Commit(oid, (PARENT,), who, who, "JIRA-1: change things\n", sig)


def policy(
    signers: tuple[str, ...] = ("group:maintainers",),
    *,
    match_email: bool = True,
    tags: bool = True,
) -> Policy:
    sigrule = SignatureRule(signers, require_committer_email_match=match_email, tags=tags)
    return Policy((Rule("protect", ("refs/heads/main", "refs/tags/v*"), signatures=sigrule),))


def push_of(
    *commits: Commit, ref: str = "refs/heads/main", old: str = OLD, at: datetime = RECEIVED
) -> Push:
    oids = tuple(c.oid for c in commits)
    new = oids[-1] if oids else NEW
    facts = RefFacts(RefUpdate(old, new, ref), True, {"protect": oids})
    return Push("r.git", Pusher("alice", "ssh"), at, (facts,), {c.oid: c for c in commits})


def found(p: Policy, push: Push) -> list[tuple[str, str]]:
    return [(v.rule_id, v.mode) for v in evaluate(p, SIGNERS, push).violations]


SIG = [("protect/signature", "enforce")]
EMAIL = [("protect/committer-email", "enforce")]


@pytest.mark.parametrize(
    ("sig", "email", "expected", "words"),
    [
        (alice_sig(), "alice@example.com", [], ""),
        (alice_sig(), "ALICE@EXAMPLE.COM", [], ""),  # e-mails compare case-insensitively
        (alice_sig(), "alice@work.example", [], ""),
        (SignatureCheck.unsigned(), "alice@example.com", SIG, "not signed"),
        (
            SignatureCheck(SigKind.OPENPGP, False, FP["alice"], ALICE_SUB, problem="tampered"),
            "alice@example.com",
            SIG,
            "bad signature: tampered",
        ),
        (SignatureCheck(SigKind.X509, False, problem="x509 unsupported"), "a@b", SIG, "x509"),
        (good("0" * 40), "alice@example.com", SIG, "of no known signer"),
        (
            good("mallory"),
            "mallory@example.com",
            SIG,
            "(mallory) which is not allowed to sign for refs/heads/main",
        ),
        (alice_sig(), "eve@x.example", EMAIL, "alice's key but committer e-mail is eve@x.example"),
        (good("bob"), "bob@example.com", SIG, "key BBBBBBBBBBBBBBBB… (bob) expired on 2026-01-01"),
        (good("carol"), "carol@example.com", SIG, "(carol) is revoked since 2026-02-01"),
        (good("dave"), "dave@example.com", SIG, "(dave) is not valid before 2026-06-01"),
        (good("erin"), "erin@example.com", SIG, "(erin) expired on 2026-02-01"),
        (
            alice_sig(ALICE_OLD_SUB),
            "alice@example.com",
            SIG,
            "subkey EEEEEEEEEEEEEEEE…, which expired on 2026-02-01",
        ),
        (alice_sig(FP["alice"]), "alice@example.com", SIG, "primary key, which may not sign"),
        (alice_sig("9" * 40), "alice@example.com", SIG, "which is not one of its signing subkeys"),
        (
            SignatureCheck(SigKind.OPENPGP, True, FP["alice"], None),
            "alice@example.com",
            SIG,
            "did not report with which (sub)key",
        ),
        (good(ALICE_SSH, kind=SigKind.SSH), "alice@example.com", [], ""),
        # An OpenPGP signature whose fingerprint names an SSH key (or the reverse) is refused.
        (good(ALICE_SSH, kind=SigKind.OPENPGP), "alice@example.com", SIG, "no known signer"),
        (good("alice", kind=SigKind.SSH), "alice@example.com", SIG, "no known signer"),
    ],
)
def test_commit_signature(
    sig: SignatureCheck, email: str, expected: list[tuple[str, str]], words: str
) -> None:
    verdict = evaluate(policy(), SIGNERS, push_of(commit(sig, email)))
    assert [(v.rule_id, v.mode) for v in verdict.violations] == expected
    for v in verdict.violations:
        assert words in v.message
        assert '("JIRA-1: change things")' in v.message
        assert v.oid == NEW and v.hint


def test_more_cert_state() -> None:
    revoked = Signers(
        (Signer("f", "F", ("f@x",), ("maintainers",), (OpenPGPKey("D" * 40, cert_revoked=True),)),)
    )
    verdict = evaluate(policy(), revoked, push_of(commit(good("D" * 40), "f@x")))
    assert [v.rule_id for v in verdict.violations] == ["protect/signature"]
    assert "revoked" in verdict.violations[0].message


@pytest.mark.parametrize(
    ("received", "committed", "expected"),
    [
        # The committer date lies (before expiry); the server received the push after it.
        (day(2026, 3, 1), day(2025, 6, 1), SIG),
        # The committer date claims the future; what counts is the (valid) receive time.
        (day(2025, 6, 1), day(2030, 1, 1), []),
    ],
)
def test_validity_is_judged_at_receive_time(
    received: datetime, committed: datetime, expected: list[tuple[str, str]]
) -> None:
    push = push_of(commit(good("bob"), "bob@example.com", when=committed), at=received)
    assert found(policy(), push) == expected


@pytest.mark.parametrize(
    ("signers", "expected"),
    [
        (("group:maintainers",), []),
        (("alice",), []),
        (("bob", "group:release"), SIG),
        ((), SIG),  # an empty allow-list allows nobody (fail closed)
        (("group:nobody-is-in-this",), SIG),
    ],
)
def test_allowed_signers(signers: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    assert found(policy(signers), push_of(commit(alice_sig()))) == expected


def test_email_match_can_be_turned_off() -> None:
    push = push_of(commit(alice_sig(), "eve@x.example"))
    assert found(policy(match_email=False), push) == []
    assert found(policy(match_email=True), push) == EMAIL


@pytest.mark.parametrize(
    ("old", "expected_hint"),
    [
        (OLD, "git rebase --exec 'git commit --amend --no-edit -n -S' aaaaaaaaaa"),
        # A new ref has no old tip: the rebase starts at the commit's own parent.
        (ZERO, "git rebase --exec 'git commit --amend --no-edit -n -S' cccccccccc"),
    ],
)
def test_hints_amend_the_tip_and_rebase_the_rest(old: str, expected_hint: str) -> None:
    first = commit(SignatureCheck.unsigned(), oid="1" * 40)
    tip = commit(SignatureCheck.unsigned(), oid="2" * 40)
    verdict = evaluate(policy(), SIGNERS, push_of(first, tip, old=old))
    assert [v.oid for v in verdict.violations] == ["1" * 40, "2" * 40]
    assert expected_hint in verdict.violations[0].hint
    assert "`git commit --amend --no-edit -S`" in verdict.violations[1].hint


def test_hints_for_unknown_and_not_allowed_keys() -> None:
    unknown = evaluate(policy(), SIGNERS, push_of(commit(good("0" * 40))))
    assert "gitward signers add" in unknown.violations[0].hint
    other = evaluate(policy(), SIGNERS, push_of(commit(good("mallory"), "mallory@example.com")))
    assert "group:maintainers" in other.violations[0].hint
    assert "allow mallory" in other.violations[0].hint
    expired = evaluate(policy(), SIGNERS, push_of(commit(good("bob"), "bob@example.com")))
    assert expired.violations[0].hint.startswith("sign with a key that is valid now, then run")
    email = evaluate(policy(), SIGNERS, push_of(commit(alice_sig(), "eve@x.example")))
    assert "user.email=alice@example.com" in email.violations[0].hint


def tag_push(
    tag: Tag | None, *, new_type: str = "commit", old: str = ZERO, ref: str = "refs/tags/v1.0"
) -> Push:
    new = ZERO if new_type == "" else (tag.oid if tag else NEW)
    facts = RefFacts(RefUpdate(old, new, ref), None, {"protect": ()}, tag, new_type)
    return Push("r.git", Pusher("alice", "ssh"), RECEIVED, (facts,), {})


def tag(sig: SignatureCheck, email: str | None = "alice@example.com") -> Tag:
    tagger = Person("Alice", email) if email is not None else None
    return Tag("d" * 40, NEW, "commit", "v1.0", tagger, "Release 1.0\n", sig)


TAG = [("protect/tag-signature", "enforce")]


@pytest.mark.parametrize(
    ("push", "tags", "expected"),
    [
        (tag_push(tag(alice_sig())), True, []),
        (tag_push(tag(SignatureCheck.unsigned())), True, TAG),
        (tag_push(tag(good("mallory"), "mallory@example.com")), True, TAG),
        (tag_push(tag(good("bob"), "bob@example.com")), True, TAG),
        (tag_push(tag(alice_sig(), "eve@x.example")), True, EMAIL),
        (tag_push(tag(alice_sig(), None)), True, EMAIL),
        (tag_push(tag(alice_sig()), ref="refs/tags/v2.0"), True, TAG),  # re-pushed under a new name
        (tag_push(None), True, TAG),  # lightweight tag
        (tag_push(None, new_type="tree"), True, TAG),
        (tag_push(None), False, []),
        (tag_push(tag(SignatureCheck.unsigned())), False, []),
        (tag_push(None, new_type="", old=OLD), True, []),  # deletion: not a signature matter
        (tag_push(None, ref="refs/heads/main"), True, []),  # not a tag ref
    ],
)
def test_tags(push: Push, tags: bool, expected: list[tuple[str, str]]) -> None:
    assert found(policy(tags=tags), push) == expected


def test_tag_messages_name_the_tag_and_how_to_sign_it() -> None:
    v = evaluate(policy(), SIGNERS, tag_push(tag(SignatureCheck.unsigned()))).violations[0]
    assert v.message == "tag v1.0: not signed" and v.oid == "d" * 40
    assert "git tag -f -s v1.0 bbbbbbbbbb" in v.hint
    light = evaluate(policy(), SIGNERS, tag_push(None)).violations[0]
    assert light.message.startswith("lightweight tag")


def test_commits_under_a_new_tag_are_checked_too() -> None:
    signed_tag = tag(alice_sig())
    facts = RefFacts(
        RefUpdate(ZERO, signed_tag.oid, "refs/tags/v1.0"),
        None,
        {"protect": (NEW,)},
        signed_tag,
        "tag",
    )
    unsigned = commit(SignatureCheck.unsigned())
    push = Push("r.git", Pusher("alice", "ssh"), RECEIVED, (facts,), {NEW: unsigned})
    assert found(policy(), push) == SIG

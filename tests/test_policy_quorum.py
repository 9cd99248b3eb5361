"""`signatures.min_distinct_signers`: a table of literal pushes, judged by the pure engine, and
the loader's refusal of a quorum nobody could reach."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from gwpush import Signer, write_config

from gitward.config import load
from gitward.errors import ConfigError
from gitward.model import Commit, Person, Push, Pusher, RefFacts, RefUpdate, SigKind, SignatureCheck
from gitward.policy import quorum
from gitward.policy.engine import evaluate
from gitward.policy.spec import OpenPGPKey, Policy, Rule, SignatureRule, Signers
from gitward.policy.spec import Signer as SpecSigner

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MAIN = "refs/heads/main"
OLD, ZERO = "a" * 40, "0" * 40
NAMES = ("alice", "bob", "carol", "mallory")
FPR = {name: name[0].upper() * 40 for name in NAMES}
FPR["mallory"] = "D" * 40
ALICE_SECOND_KEY = "9" * 40
KEYS = {**{n: (OpenPGPKey(FPR[n]),) for n in NAMES}, "alice": tuple(
    OpenPGPKey(f) for f in (FPR["alice"], ALICE_SECOND_KEY))}  # fmt: skip
SIGNERS = Signers(
    tuple(
        SpecSigner(
            name,
            name.title(),
            (f"{name}@example.com",),
            ("admins",) if name != "mallory" else ("others",),
            KEYS[name],
        )
        for name in NAMES
    )
)


def rule(needed: int, mode: str = "enforce") -> Policy:
    sigs = SignatureRule(("group:admins",), min_distinct_signers=needed)
    return Policy((Rule("config", (MAIN,), mode, signatures=sigs),))  # type: ignore[arg-type]


def commit(n: int, signer: str | None, *, fpr: str | None = None, email: str = "") -> Commit:
    """Commit number `n`, signed by `signer`'s key (None: unsigned), committed as `signer`."""
    who = signer or "alice"
    person = Person(who.title(), email or f"{who}@example.com")
    if signer is None:
        check = SignatureCheck.unsigned()
    else:
        check = SignatureCheck(SigKind.OPENPGP, True, fpr or FPR[signer], fpr or FPR[signer])
    return Commit(f"{n:040x}", (OLD,), person, person, f"change {n}\n", check)


def push(*commits: Commit, old: str = OLD, new: str = "b" * 40) -> Push:
    oids = tuple(c.oid for c in commits)
    facts = RefFacts(RefUpdate(old, new, MAIN), None if ZERO in (old, new) else True,
                     {"config": oids})  # fmt: skip
    return Push("cfg.git", Pusher("alice", "ssh"), RECEIVED, (facts,),
                {c.oid: c for c in commits})  # fmt: skip


def rule_ids(policy: Policy, p: Push) -> list[str]:
    return [v.rule_id for v in evaluate(policy, SIGNERS, p).violations]


@pytest.mark.parametrize(
    ("needed", "commits", "expected"),
    [
        # One admin alone, however many commits and keys: refused.
        (2, (commit(1, "alice"),), ["config/distinct-signers"]),
        (2, (commit(1, "alice"), commit(2, "alice")), ["config/distinct-signers"]),
        (2, (commit(1, "alice"), commit(2, "alice", fpr=ALICE_SECOND_KEY)),
         ["config/distinct-signers"]),
        # The author's commit and a second admin's merge: accepted.
        (2, (commit(2, "bob"), commit(1, "alice")), []),
        (3, (commit(3, "carol"), commit(2, "bob"), commit(1, "alice")), []),
        (3, (commit(2, "bob"), commit(1, "alice")), ["config/distinct-signers"]),
        # An unacceptable signature counts for nobody (and is refused itself; violations
        # about the update come first).
        (2, (commit(2, "mallory"), commit(1, "alice")),
         ["config/distinct-signers", "config/signature"]),
        (2, (commit(2, None), commit(1, "alice")), ["config/distinct-signers", "config/signature"]),
        (2, (commit(2, "bob", email="x@example.com"), commit(1, "alice")),
         ["config/distinct-signers", "config/committer-email"]),
        # The default, 1: every acceptable commit is enough.
        (1, (commit(1, "alice"),), []),
    ],
)  # fmt: skip
def test_distinct_signers_are_counted_over_the_new_commits(
    needed: int, commits: tuple[Commit, ...], expected: list[str]
) -> None:
    assert rule_ids(rule(needed), push(*commits)) == expected


def test_the_violation_is_about_the_update_and_names_who_signed() -> None:
    (v,) = evaluate(rule(2), SIGNERS, push(commit(1, "alice"), commit(2, "alice"))).violations
    assert v.oid is None  # about the update, not one commit
    assert v.message == (
        "refs/heads/main needs 2 different signers on what a push brings; "
        "the new commits (2) are signed by 1 (alice)"
    )
    assert v.hint.startswith("ask 1 more of the allowed signers (group:admins) to sign a merge")


def test_nobody_acceptable_is_said_plainly() -> None:
    (v, _) = evaluate(rule(2), SIGNERS, push(commit(1, None))).violations
    assert v.message.endswith("are signed by 0 (none acceptable)")


def test_an_update_without_commits_has_nothing_to_count() -> None:
    assert rule_ids(rule(2), push()) == []  # e.g. a branch moved onto protected history
    assert rule_ids(rule(2), push(new=ZERO)) == []  # a deletion (protection's business)


def test_warn_mode_reports_without_blocking() -> None:
    verdict = evaluate(rule(2, "warn"), SIGNERS, push(commit(1, "alice")))
    assert verdict.allowed
    assert [v.mode for v in verdict.violations] == ["warn"]


def test_shortfall_counts_ids_once() -> None:
    assert quorum.shortfall(2, ["bob", "alice", "bob"]) == (0, ("alice", "bob"))
    assert quorum.shortfall(3, ["bob", "bob"]) == (2, ("bob",))


POLICY = """\
version: 1
rules:
  - id: config
    refs: [refs/heads/main]
    signatures:
      signers: [{signers}]
      min_distinct_signers: {needed}
"""


def test_the_loader_reads_the_option(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, POLICY.format(signers="group:admins", needed=2),
                       {"alice": Signer(("admins",)), "bob": Signer(("admins",))})  # fmt: skip
    sigs = load(cfg).policy.rules[0].signatures
    assert sigs is not None and sigs.min_distinct_signers == 2


@pytest.mark.parametrize(
    ("signers", "needed", "allowed"),
    [("group:admins", 3, "2, the signers allowed (alice, bob)"),
     ("alice, carol", 3, "2, the signers allowed (alice, carol)"),
     ("alice", 2, "1, the signers allowed (alice)")],
)  # fmt: skip
def test_a_quorum_above_the_allowed_signers_is_refused(
    tmp_path: Path, signers: str, needed: int, allowed: str
) -> None:
    people = {"alice": Signer(("admins",)), "bob": Signer(("admins",)), "carol": Signer(("x",))}
    cfg = write_config(tmp_path, POLICY.format(signers=signers, needed=needed), people)
    with pytest.raises(ConfigError) as info:
        load(cfg)
    assert info.value.problems == [
        f"{cfg}:7: rules[0].signatures.min_distinct_signers: expected at most {allowed}, "
        f"got {needed}"
    ]


def test_zero_is_not_a_quorum(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, POLICY.format(signers="alice", needed=0), {"alice": Signer()})
    with pytest.raises(ConfigError, match="min_distinct_signers: expected a positive integer"):
        load(cfg)

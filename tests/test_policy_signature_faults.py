"""How the policy words a signature the verifier did not call good, fault by fault: what the
pusher reads instead of "bad signature", and the fix. Literal facts, no crypto."""

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
    SigFault,
    SigKind,
    SignatureCheck,
)
from gitward.policy.engine import evaluate
from gitward.policy.spec import OpenPGPKey, Policy, Rule, SignatureRule, Signer, Signers

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "a" * 40, "b" * 40
DORA, SUB, OTHER = "D" * 40, "5" * 40, "E" * 40
SIGNERS = Signers(
    (Signer("dora", "Dora", ("dora@example.org",), ("maintainers",), (OpenPGPKey(DORA),)),)
)
RULE = Rule("protect", ("refs/heads/main",), signatures=SignatureRule(("group:maintainers",)))
AMEND = "run `git commit --amend --no-edit -S` and push again"


def judged(sig: SignatureCheck) -> tuple[str, str]:
    who = Person("Dora", "dora@example.org")
    commit = Commit(NEW, (OLD,), who, who, "JIRA-1: x\n", sig)
    facts = RefFacts(RefUpdate(OLD, NEW, "refs/heads/main"), True, {"protect": (NEW,)})
    push = Push("r.git", Pusher("dora", "ssh"), RECEIVED, (facts,), {NEW: commit})
    (v,) = evaluate(Policy((RULE,)), SIGNERS, push).violations
    assert v.rule_id == "protect/signature"
    return v.message, v.hint


def bad(
    fault: SigFault | None,
    primary: str | None,
    signing: str | None,
    created_at: datetime | None = None,
) -> SignatureCheck:
    return SignatureCheck(
        SigKind.OPENPGP, False, primary, signing, created_at, "verifier's words", fault
    )


@pytest.mark.parametrize(
    ("sig", "message", "hint"),
    [
        (
            bad(SigFault.REVOKED_SUBKEY, DORA, SUB),
            "signed with subkey 5555555555555555…, which key DDDDDDDDDDDDDDDD… (dora) revokes",
            f"sign with a subkey that is not revoked, then {AMEND}",
        ),
        (
            bad(SigFault.FOREIGN_SUBKEY, OTHER, SUB),
            "signed with subkey 5555555555555555…, which key EEEEEEEEEEEEEEEE… carries but "
            "does not bind: it belongs to another certificate",
            "sign with a key of your own registered certificate "
            f"(`gpg --list-keys {SUB}` shows which certificate binds that subkey)",
        ),
        (
            bad(SigFault.FUTURE, DORA, DORA, datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)),
            "signature dated 2030-05-06 07:08:09 UTC, later than the server's clock "
            "(2026-03-01 12:00:00 UTC)",
            f"set the clock of the machine that signs right (`date -u` shows it), then {AMEND}",
        ),
        (
            bad(SigFault.UNKNOWN_KEY, None, SUB),
            "signed by key 5555555555555555… of no known signer",
            "sign with a key registered for you, or send an admin your public key "
            f"(`gpg --armor --export {SUB}`) to register with `gitward signers add`",
        ),
        (bad(None, DORA, SUB), "bad signature: verifier's words", AMEND),
        (SignatureCheck.unsigned(), "not signed", AMEND),
    ],
)
def test_each_fault_has_its_own_words_and_fix(sig: SignatureCheck, message: str, hint: str) -> None:
    assert judged(sig) == (f'{message} ("JIRA-1: x")', hint)

"""builtin/symbolic-ref: an update through a symbolic ref is refused whatever the rules say (no
mode, bypass or setting applies), with the target named and a command to push to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitward.model import Push, Pusher, RefFacts, RefUpdate
from gitward.policy.engine import evaluate
from gitward.policy.spec import Policy, RefProtection, Rule, Signers

OLD, NEW, ZERO = "a" * 40, "b" * 40, "0" * 40
LOOSE = Rule("loose", ("refs/heads/**",), mode="warn", bypass=("admin",),
             protection=RefProtection(block_force_push=True))  # fmt: skip


def judge(update: RefUpdate, target: str | None, options: tuple[str, ...] = ()) -> Push:
    facts = RefFacts(update, True, {"loose": ()}, symref_target=target)
    return Push("r.git", Pusher("admin", "gitea"), datetime.now(UTC), (facts,), {}, options)


@pytest.mark.parametrize(
    ("old", "new", "change", "command"),
    [
        (OLD, NEW, "update", f"git push origin {NEW}:refs/heads/main"),
        (ZERO, NEW, "create", f"git push origin {NEW}:refs/heads/main"),
        (OLD, ZERO, "delete", "git push origin :refs/heads/main"),
    ],
)
def test_an_update_through_a_symbolic_ref_is_refused(
    old: str, new: str, change: str, command: str
) -> None:
    push = judge(RefUpdate(old, new, "refs/heads/master"), "refs/heads/main")
    (violation,) = evaluate(Policy((LOOSE,)), Signers(), push).blocking
    assert violation.rule_id == "builtin/symbolic-ref"
    assert violation.ref == "refs/heads/master"
    assert violation.message == (
        f"refs/heads/master is a symbolic ref to refs/heads/main: pushing to it would {change} "
        "refs/heads/main"
    )
    assert f"`{command}`" in violation.hint


def test_no_bypass_applies() -> None:
    reason = ("gitward.reason=the alias is ours",)
    push = judge(RefUpdate(OLD, NEW, "refs/heads/master"), "refs/heads/main", reason)
    verdict = evaluate(Policy((LOOSE,)), Signers(), push)
    assert [v.rule_id for v in verdict.blocking] == ["builtin/symbolic-ref"]
    assert not verdict.allowed


def test_an_ordinary_ref_is_not_concerned() -> None:
    push = judge(RefUpdate(OLD, NEW, "refs/heads/x"), None)
    verdict = evaluate(Policy((LOOSE,)), Signers(), push)
    assert verdict.allowed and not verdict.violations


def test_the_target_is_quoted_for_a_shell() -> None:
    push = judge(RefUpdate(OLD, NEW, "refs/heads/x"), "refs/heads/$(reboot)")
    (violation,) = evaluate(Policy(()), Signers(), push).blocking
    assert f"`git push origin {NEW}:'refs/heads/$(reboot)'`" in violation.hint

"""Modes: warn rules never block; named actors may bypass an enforce rule with a reason.

A bypass needs all of: a named (non-anonymous) pusher, listed in the rule's `bypass` directly
or through a pusher group, and a non-empty `-o gitward.reason=...` push option. Then the rule's
violations on that ref become "bypassed" and one `Bypass` is recorded for the audit log.
Listed but no reason: the violations stay "enforce" and their hints say how to bypass.
A violation a family already made "warn" (a note, such as files not scanned for secrets) stays
a warning whatever the mode, and is neither bypassed nor given the bypass hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from gitward.model import Bypass, Violation
from gitward.policy import hints
from gitward.policy.context import RuleContext
from gitward.policy.pushers import listed

REASON_OPTION = "gitward.reason"


def apply_mode(
    ctx: RuleContext, found: Sequence[Violation]
) -> tuple[tuple[Violation, ...], Bypass | None]:
    """The rule's violations on one ref with their final mode, and the bypass, if any."""
    blocking = [v for v in found if v.mode == "enforce"]
    if not blocking:
        return tuple(found), None
    if ctx.rule.mode == "warn":
        return tuple(v._replace(mode="warn") for v in found), None
    if not listed(ctx.rule.bypass, ctx.push.pusher, ctx.policy.pusher_groups):
        return tuple(found), None
    reason = (ctx.push.option(REASON_OPTION) or "").strip()
    if not reason:
        with_hint = (v._replace(hint=hints.with_bypass(v.hint)) for v in found)
        return tuple(_enforced(found, with_hint)), None
    actor = ctx.push.pusher.name or ""  # `listed` is False for anonymous pushers
    bypassed = (v._replace(mode="bypassed") for v in found)
    return tuple(_enforced(found, bypassed)), Bypass(ctx.rule.id, ctx.ref, actor, reason)


def _enforced(found: Sequence[Violation], changed: Iterable[Violation]) -> Iterator[Violation]:
    """`changed` where `found` was enforced, `found` (a warning already) elsewhere."""
    for v, new in zip(found, changed, strict=True):
        yield new if v.mode == "enforce" else v

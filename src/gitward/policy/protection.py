"""The protection family: how a ref may change and who may change it.

Checks the update itself (force push, deletion, creation, name, immutability, pusher) and, for
linear history, the new commits.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitward.model import Violation
from gitward.policy import hints, patterns
from gitward.policy.context import RuleContext
from gitward.policy.pushers import listed
from gitward.policy.spec import RefProtection

SHORT_PREFIXES = ("refs/heads/", "refs/tags/")


def short_name(ref: str) -> str:
    """`main` for `refs/heads/main`, `v1` for `refs/tags/v1`, else the ref without `refs/`."""
    for prefix in SHORT_PREFIXES:
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref.removeprefix("refs/")


def check(ctx: RuleContext) -> Iterator[Violation]:
    """Violations of `ctx.rule.protection` for this update."""
    rule = ctx.rule.protection
    if rule is None:
        return
    yield from _pusher(ctx, rule)
    yield from _update(ctx, rule)
    if rule.linear_history:
        for commit in ctx.commits():
            if commit.is_merge:
                what = hints.about(commit, f"merge commit: {ctx.ref} keeps a linear history")
                hint = f"rebase onto {ctx.ref} instead of merging (`git pull --rebase`)"
                yield ctx.violation("linear-history", what, hint, commit.oid)


def _pusher(ctx: RuleContext, rule: RefProtection) -> Iterator[Violation]:
    if rule.allowed_pushers is None:
        return
    pusher = ctx.push.pusher
    if pusher.anonymous:
        # This rule's own check, not a built-in one: it exists only because the rule lists
        # `allowed_pushers`, so it takes the rule's mode like `pusher` does (a warn rule being
        # tried must not block anonymous pushes). No bypass can apply: bypass needs a name.
        what = f"pusher identity unknown: only named pushers may push to {ctx.ref}"
        hint = "push through an authenticated remote (ask an admin how)"
        yield ctx.violation("anonymous-pusher", what, hint)
    elif not listed(rule.allowed_pushers, pusher, ctx.policy.pusher_groups):
        allowed = ", ".join(rule.allowed_pushers) or "nobody"
        what = f"{pusher.name} may not push to {ctx.ref} (allowed: {allowed})"
        yield ctx.violation("pusher", what, "ask an allowed pusher or an admin")


def _update(ctx: RuleContext, rule: RefProtection) -> Iterator[Violation]:
    facts = ctx.facts
    update = facts.update
    if rule.block_force_push and facts.fast_forward is False:
        what = f"non-fast-forward update (force push) of {ctx.ref}"
        hint = f"rebase your work onto {ctx.ref} (`git pull --rebase`) and push without --force"
        yield ctx.violation("force-push", what, hint)
    if rule.block_deletion and update.is_delete:
        yield ctx.violation("deletion", f"{ctx.ref} may not be deleted", "ask an admin")
    if rule.block_creation and update.is_create:
        yield ctx.violation("creation", f"{ctx.ref} may not be created here", "ask an admin")
    if rule.immutable and not update.is_create:
        what = f"{ctx.ref} already exists and is immutable: it may not be moved or deleted"
        yield ctx.violation("immutable", what, "create a new name instead")
    if rule.name_pattern is not None and update.is_create:
        name = short_name(ctx.ref)
        if not patterns.fullmatch(rule.name_pattern, name):
            what = f"name {name} does not match {rule.name_pattern}"
            yield ctx.violation("ref-name", what, "push under a name that matches the pattern")

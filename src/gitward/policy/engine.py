"""The policy engine: `evaluate(policy, signers, push) -> Verdict`. PURE: values in, values out.

For each ref update (in push order), the built-in checks run first, then every rule matching the
ref (in policy order) runs its families (signatures, messages, protection, content). Built-in
violations are always "enforce": no mode or bypass applies to them. Within one rule,
violations about the update itself come first, then those about commits in the order the facts
list them. Strings from the push are kept raw here; the report layer sanitises them.

Raises `GitError` only when the facts are incomplete (a listed commit, or a blob a content
check needs, was not read): judging a part of a push would fail open, so the edge refuses the
push instead; `BudgetExceeded` when `budget` runs out while content is scanned (the work of the
other families is bounded by the facts already gathered).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from gitward.model import Bypass, Push, RefFacts, Verdict, Violation
from gitward.policy import messages, protection, signatures
from gitward.policy.bypass import apply_mode
from gitward.policy.context import Budget, Family, RuleContext, Unlimited
from gitward.policy.mergefacts import ForgeMerge
from gitward.policy.spec import Policy, Signers


def content_check(ctx: RuleContext) -> Iterator[Violation]:
    """The content family (`policy.content`), imported only for a rule that has content: a
    push under a policy without content rules never loads the scanners."""
    if ctx.rule.content is None:
        return
    from gitward.policy import content  # noqa: PLC0415  # see the docstring

    yield from content.check(ctx)


FAMILIES: tuple[Family, ...] = (signatures.check, messages.check, protection.check, content_check)


def evaluate(
    policy: Policy,
    signers: Signers,
    push: Push,
    merge: ForgeMerge | None = None,
    budget: Budget | None = None,
) -> Verdict:
    """Judge every ref update of `push` against every rule matching its ref. `merge`: the
    forge's claim that this push merges a pull request, with its facts (`policy.forgemerge`
    decides whether it counts); only the hook, which sees the forge's environment, has one.
    `budget`: the time left (the edges pass their `Deadline`); none: no limit."""
    violations: list[Violation] = []
    bypasses: list[Bypass] = []
    unreported = _lines_per_ref(push)  # popped: a ref named twice is reported once
    memo: dict[object, object] = {}  # shared by every rule and ref (content scanned once)
    spend = budget if budget is not None else Unlimited()
    for facts in push.refs:
        violations.extend(builtin(policy, facts, unreported.pop(facts.update.ref, 0)))
        for rule in policy.rules_for(facts.update.ref):
            ctx = RuleContext(policy, signers, push, facts, rule, merge, spend, memo)
            judged, bypass = apply_mode(ctx, _ordered(ctx, _run(ctx)))
            violations.extend(judged)
            if bypass is not None:
                bypasses.append(bypass)
    return Verdict(tuple(violations), tuple(bypasses))


def builtin(policy: Policy, facts: RefFacts, lines: int = 1) -> Iterator[Violation]:
    """Checks no rule can turn off or bypass; only settings can (same-ref-twice and
    symbolic-ref: nothing can).

    `lines` is how many update lines of the push name this ref (0: already reported).
    """
    if lines > 1:
        # Each update line is judged alone, so "delete main" + "create main at an older commit"
        # would pass as a deletion and a creation though together they force-push main.
        yield Violation(
            "builtin/same-ref-twice",
            facts.update.ref,
            f"{facts.update.ref} is updated {lines} times in one push: "
            "its updates cannot be judged together",
            "push the ref once (one update per ref in each push)",
        )
    if facts.symref_target is not None:
        yield _through_symbolic_ref(facts, facts.symref_target)
    if facts.kind == "replace" and policy.settings.deny_replace_refs:
        # Replace refs make git show other objects than the ones pushed and checked.
        yield Violation(
            "builtin/replace-refs",
            facts.update.ref,
            "pushes to refs/replace/* are refused: they can substitute checked objects",
            "remove the replace ref from your push (admins: settings.deny_replace_refs)",
        )


def _through_symbolic_ref(facts: RefFacts, target: str) -> Violation:
    # git updates, creates or deletes `target`, yet the rules that matched are those of the
    # name pushed: an alias would dodge every rule of its target (or bring it rules it does not
    # have). Judging both names' rules would need two sets of rules reconciled for one update;
    # pushing to the target itself is always possible and judged plainly.
    update = facts.update
    ref = update.ref
    change = "delete" if update.is_delete else "create" if update.is_create else "update"
    what = f"{ref} is a symbolic ref to {target}: pushing to it would {change} {target}"
    src = "" if update.is_delete else update.new  # the very commit pushed: nothing to fill in
    command = f"git push origin {src}:{shlex.quote(target)}"
    hint = f"run `{command}` (with this server's remote name if it is not origin)"
    return Violation("builtin/symbolic-ref", ref, what, hint)


def _lines_per_ref(push: Push) -> dict[str, int]:
    """How many update lines of `push` name each ref."""
    counts: dict[str, int] = {}
    for facts in push.refs:
        counts[facts.update.ref] = counts.get(facts.update.ref, 0) + 1
    return counts


def _run(ctx: RuleContext) -> list[Violation]:
    return [v for family in FAMILIES for v in family(ctx)]


def _ordered(ctx: RuleContext, found: list[Violation]) -> list[Violation]:
    """Update-level violations first, then by commit position; stable within each group."""
    position = {oid: i for i, oid in enumerate(ctx.facts.commits_by_rule.get(ctx.rule.id, ()))}
    return sorted(found, key=lambda v: position.get(v.oid, -1) if v.oid is not None else -1)

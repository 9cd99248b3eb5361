"""The messages family: patterns, subject shape and presets for every new commit.

Every failing check is reported (a pusher fixes a message once, not once per check). Merge
commits and reverts are skipped when the rule says `skip`. Messages are judged as git shows them
(`commitmsg`): patterns search the message from its first non-blank line on, the subject is
git's `%s`.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitward.model import Commit, Violation
from gitward.policy import commitmsg, hints, patterns, presets
from gitward.policy.context import RuleContext
from gitward.policy.spec import MessageRule

TYPES = ", ".join(presets.CONVENTIONAL_TYPES)


def check(ctx: RuleContext) -> Iterator[Violation]:
    """Violations of `ctx.rule.messages` for the update's new commits."""
    rule = ctx.rule.messages
    if rule is None:
        return
    for commit in ctx.commits():
        if _skipped(rule, commit):
            continue
        reword = hints.reword(ctx.facts, commit)
        signoff = hints.signoff(ctx.facts, commit)
        for name, what, hint in _problems(rule, commit, reword, signoff):
            yield ctx.violation(name, hints.about(commit, what), hint, commit.oid)


def _skipped(rule: MessageRule, commit: Commit) -> bool:
    if commit.is_merge and rule.merge_commits == "skip":
        return True
    return presets.is_revert(commit) and rule.reverts == "skip"


def _problems(
    rule: MessageRule, commit: Commit, reword: str, signoff: str
) -> Iterator[tuple[str, str, str]]:
    """(check name, what is wrong, hint) for each failing check."""
    message = commitmsg.shown(commit.message)
    if rule.must_match is not None and patterns.search(rule.must_match, message) is None:
        yield "message-pattern", f"message does not match {rule.must_match}", reword
    if rule.must_not_match is not None:
        found = patterns.search(rule.must_not_match, message)
        if found is not None:
            yield "message-forbidden", f"message contains forbidden {found[:30]!r}", reword
    length = len(commit.subject)
    if rule.subject_max_length is not None and length > rule.subject_max_length:
        limit = rule.subject_max_length
        yield "subject-length", f"subject is {length} characters long (at most {limit})", reword
    if rule.blank_line_after_subject and not commitmsg.blank_line_after_subject(message):
        yield "blank-line", "no blank line between subject and body", reword
    if rule.conventional_commits and not presets.is_conventional(commit.subject):
        what = f"subject is not 'type(scope): description' with a type from {TYPES}"
        yield "conventional-commits", what, reword
    if rule.signed_off_by and not presets.signed_off_by_author(commit):
        author = f"{commit.author.name} <{commit.author.email}>"
        yield "signed-off-by", f"no 'Signed-off-by: {author}' trailer", signoff

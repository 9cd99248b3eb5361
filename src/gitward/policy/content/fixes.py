"""Fix-it hints for content violations: how to take a file or a line out of the new commits.

Like `policy.hints`: one line each, every command pasteable as it stands (names from the push
are `shlex.quote`d), what only the pusher knows said in plain words.
"""

from __future__ import annotations

import shlex

from gitward.policy import hints
from gitward.policy.context import RuleContext


def rewrite(ctx: RuleContext, commit_oid: str, change: str) -> str:
    """How to change commit `commit_oid`: amend it when it is the tip, else an interactive
    rebase that stops at it. `change` says what to do there, in words or a backquoted command."""
    commit = ctx.push.commits.get(commit_oid)
    if commit is None or commit_oid == ctx.facts.update.new:
        return f"{change}, then run `git commit -a --amend --no-edit` and push again"
    base = hints.base_of(ctx.facts, commit)
    return (
        f"run `git rebase -i {base}`, mark {commit.short} 'edit'; {change}, then "
        "`git commit -a --amend --no-edit` and `git rebase --continue`, and push again"
    )


def remove_file(ctx: RuleContext, commit_oid: str, path: str) -> str:
    """Take `path` out of the commit that brings it (the file stays in the work tree)."""
    return rewrite(ctx, commit_oid, f"run `git rm --cached -- {shlex.quote(path)}`")

"""What the pusher is told about protected paths (`twoperson`): which signatures are missing
and how to add them, every command pasteable as it stands. PURE."""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from gitward.model import Commit, Violation
from gitward.policy import hints
from gitward.policy.context import RuleContext
from gitward.policy.keys import validity_problem
from gitward.policy.sigfaults import Finding
from gitward.policy.spec import OpenPGPKey, ProtectedPaths, Signer, Signers

SHOWN = 3  # paths or signers named in one message


def _paths(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:SHOWN])
    return shown if len(paths) <= SHOWN else f"{shown} and {len(paths) - SHOWN} more"


def unsigned(ctx: RuleContext, paths: Sequence[str], commit: Commit, found: Finding) -> Violation:
    """`path-signature`: `commit` brings protected `paths`, but no allowed signer signed it
    (`found` says why, in the signatures family's words); the fix is theirs too."""
    what = hints.about(commit, f"brings protected {_paths(paths)}, but is {found.what}")
    hint = found.hint or hints.resign(ctx.facts, commit, found.advice)
    return ctx.violation("path-signature", what, hint, commit.oid)


def short(
    ctx: RuleContext,
    rule: ProtectedPaths,
    paths: Sequence[str],
    last: str | None,
    counted: Mapping[str, str],
    missing: int,
) -> Violation:
    """`two-person`: the commits that bring `paths` (the last of them: `last`) carry the
    signers `counted` (signer id -> their first commit), `missing` short of the rule: which
    signatures are missing, and how the pusher gets them."""
    who = ", ".join(rule.signers) or "nobody"
    have = ", ".join(f"{signer} ({oid[:10]})" for signer, oid in counted.items())
    # Who signed and how many more come first: the report cuts a long message at its end.
    signers = "signer" if missing == 1 else "signers"
    what = (
        f"{_paths(paths)}: signed by {have + ' only' if have else 'no allowed signer'}; "
        f"needs {missing} more distinct allowed {signers} ({rule.min_signers} of {who})"
    )
    others = _able(ctx.signers, rule.signers, ctx.push.received_at, counted.keys())
    if len(others) < missing:
        hint = (
            f"too few other allowed signers ({who}) hold a key that can sign now: ask an admin "
            "to allow another signer, or to lower the rule's min_signers"
        )
        return ctx.violation(rule.check, what, hint, last)
    names = ", ".join(others[:SHOWN]) + (", ..." if len(others) > SHOWN else "")
    branch = shlex.quote(ctx.ref.removeprefix("refs/heads/"))
    tip = ctx.facts.update.new[:12]
    if missing == 1:
        how = (
            f"ask another allowed signer ({names}) to bring it with a signed merge commit: "
            f"push your work to a branch this rule does not protect; they fetch it and, on an "
            f"up-to-date {branch}, run `git merge --no-ff -S {tip}`, then push {branch}"
        )
    else:
        how = (
            f"ask {missing} other allowed signers ({names}) to bring it with signed merge "
            f"commits onto {branch}, each merging the one before (git merge --no-ff -S)"
        )
    return ctx.violation(rule.check, what, how, last)


def _able(
    signers: Signers, allowed: tuple[str, ...], at: datetime, but: Collection[str]
) -> list[str]:
    """Allowed signers other than `but` who hold a key that may sign at `at`."""
    ids = signers.members(allowed) - set(but)
    return sorted(s.id for s in signers.signers if s.id in ids and _can_sign(s, at))


def _can_sign(signer: Signer, at: datetime) -> bool:
    return any(
        validity_problem(k.validity, at) is None and _cert_usable(k, at)
        for k in signer.openpgp_keys
    ) or any(validity_problem(k.validity, at) is None for k in signer.ssh_keys)


def _cert_usable(key: OpenPGPKey, at: datetime) -> bool:
    return not key.cert_revoked and (key.expires_at is None or at < key.expires_at)

"""Distinct signers: how many different people vouched for what one update brings. PURE.

A change signed by one person is only as strong as that person's key and account. With
`signatures.min_distinct_signers: N`, the commits one update brings to a matching ref must
carry acceptable signatures (allowed signer, valid key, committer e-mail: everything
`signatures.judge` asks) of at least N different signers, counted by signer id so that one
person's several keys count once. The usual shape for N = 2: the author's signed commit and a
second signer's signed merge commit of it.

Only commits count (not the annotated tag of a tag push), and an update that brings no commit
(a deletion, a ref created or moved onto history the rule already protects) has nothing to
count: pair the option with `protection` (`block_force_push`, `block_deletion`).

`count_distinct` / `shortfall` hold the counting, apart from where the signer ids come from, so
that another "N different people" check (for example two-person review of protected paths)
can share them.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitward.model import Violation
from gitward.policy.context import RuleContext
from gitward.policy.spec import SignatureRule


def count_distinct(signer_ids: Iterable[str]) -> tuple[str, ...]:
    """The different signer ids among `signer_ids`, sorted."""
    return tuple(sorted(set(signer_ids)))


def shortfall(needed: int, signer_ids: Iterable[str]) -> tuple[int, tuple[str, ...]]:
    """(how many more distinct signers are needed, 0 when none; the distinct ones found)."""
    found = count_distinct(signer_ids)
    return max(needed - len(found), 0), found


def check(
    ctx: RuleContext, sigrule: SignatureRule, signer_ids: Iterable[str], commits: int
) -> Violation | None:
    """The `distinct-signers` violation when the `commits` commits the update brings (the
    acceptable ones signed by `signer_ids`) have fewer distinct signers than the rule needs."""
    needed = sigrule.min_distinct_signers
    if needed <= 1 or commits == 0:
        return None  # one acceptable signature per commit already means one signer
    missing, found = shortfall(needed, signer_ids)
    if not missing:
        return None
    who = ", ".join(found) if found else "none acceptable"
    what = (
        f"{ctx.ref} needs {needed} different signers on what a push brings; "
        f"the new commits ({commits}) are signed by {len(found)} ({who})"
    )
    allowed = ", ".join(sigrule.signers)
    hint = (
        f"ask {missing} more of the allowed signers ({allowed}) to sign a merge commit of "
        "these commits, and push that merge"
    )
    return ctx.violation("distinct-signers", what, hint)

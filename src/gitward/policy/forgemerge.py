"""Merges made by the forge: the one commit Gitea makes when its Merge button merges a pull
request into a branch whose rule requires signatures. PURE.

With the rule's `signatures.forge_merges`, the signatures family accepts that commit without an
allowed signer's signature when all of these hold; otherwise it stays refused like any other
commit, and `<rule>/forge-merge` says why it is no forge merge gitward can accept:

1. the claim counts (`mergetrust`);
2. the forge made exactly one of the update's new commits, the new tip: every other one is the
   pull request's own (reachable from its head, `refs/pull/<index>/head`);
3. the tip has the shape of a style the rule lists:
   - merge: parents (the branch's old tip, the pull request's head);
   - rebase-merge: the same (Gitea's rebase of a pull request that contains the old tip
     changes nothing, and the merge follows);
   - squash: one parent, the old tip;
   - rebase: the head re-worded (Gitea amends the last commit's message from a template when
     the repository has one): the head's parents;
4. its tree is the head's whenever the head contains the old tip; a squash, rebase or
   rebase-merge must contain it, since only then is what lands exactly what the signed commits
   hold. A merge of a pull request that is behind keeps both signed histories as parents; its
   tree is Gitea's merge of the two, which the hook cannot recompute (it writes no objects);
5. when `forge_merges.signer` is set, that signer's key signed it, valid when the push arrived
   (Gitea commits as the merging user, so no e-mail is matched).

The pull request's own commits must pass the rule as if pushed: those the update brings (a
merge) are judged with the others; those it does not (a squash or rebase replaces them) are
handed back to the signatures family, which judges their signatures the same way.
"""

from collections.abc import Callable
from typing import NamedTuple

from gitward.errors import GitError
from gitward.model import Commit, Person, SignatureCheck, Violation
from gitward.policy import hints
from gitward.policy.context import RuleContext
from gitward.policy.mergefacts import ForgeMerge, PullHead
from gitward.policy.mergetrust import ASK, Distrust, trusted_head
from gitward.policy.protection import short_name
from gitward.policy.sigfaults import Finding
from gitward.policy.spec import ForgeMerges, MergeStyle, SignatureRule

# `signatures.judge`, passed in (it lives in the family that calls this module).
Judge = Callable[[RuleContext, SignatureRule, SignatureCheck, Person | None, str], Finding | None]


class ForgeVerdict(NamedTuple):
    """What the forge-merge check tells the signatures family."""

    exempt: frozenset[str] = frozenset()  # the forge's commit, accepted without a signer's
    pull_commits: tuple[Commit, ...] = ()  # the pull request's commits the update leaves out
    violations: tuple[Violation, ...] = ()


def check(ctx: RuleContext, sigrule: SignatureRule, judge: Judge) -> ForgeVerdict:
    """Judge the forge's claim for this rule; nothing without the option or a claim."""
    option, merge = sigrule.forge_merges, ctx.merge
    if option is None or merge is None:
        return ForgeVerdict()
    tip = ctx.facts.update.new
    head = trusted_head(ctx, merge)
    if isinstance(head, Distrust):
        on = None if ctx.facts.update.is_delete else tip
        return ForgeVerdict(violations=(ctx.violation("forge-merge", *head, on),))
    update_brings = ctx.facts.commits_by_rule.get(ctx.rule.id, ())
    own = head.commits_by_rule.get(ctx.rule.id, ())
    theirs = set(own)
    forge_made = [o for o in update_brings if o not in theirs]
    if not forge_made:  # a fast-forward to the pull request's commits: judged as pushed
        return ForgeVerdict()
    brought = set(update_brings)
    pull = tuple(_commit(ctx, merge, o) for o in own if o not in brought)
    problem = _problem(ctx, merge, head, option, forge_made)
    if problem is None and option.signer is not None:
        problem = _unsigned(ctx, merge, option.signer, judge)
    if problem is not None:
        return ForgeVerdict(frozenset(), pull, (ctx.violation("forge-merge", *problem, tip),))
    return ForgeVerdict(frozenset({tip}), pull)


def _commit(ctx: RuleContext, merge: ForgeMerge, oid: str) -> Commit:
    commit = merge.commits.get(oid) or ctx.push.commits.get(oid)
    if commit is None:  # judging the merge without them would fail open
        raise GitError(f"commit {oid} of the pull request was not read; refusing to judge it")
    return commit


def styles_of(tip: Commit, old: str, head: PullHead) -> tuple[MergeStyle, ...]:
    """The styles whose commit has the shape of `tip` (on a branch whose old tip is `old`)."""
    if tip.parents == (old, head.oid):
        return ("merge", "rebase-merge")
    found: list[MergeStyle] = []
    if tip.parents == (old,):
        found.append("squash")
    if tip.oid != head.oid and tip.parents == head.parents:
        found.append("rebase")
    return tuple(found)


def _problem(
    ctx: RuleContext, merge: ForgeMerge, head: PullHead, option: ForgeMerges, made: list[str]
) -> tuple[str, str] | None:
    """(what, hint) when the forge's commits are not one the rule accepts, else None."""
    update = ctx.facts.update
    number = f"pull request #{merge.claim.pr_index}"
    branch = short_name(ctx.ref)
    rebase = _rebase_hint(number, branch, update.old)
    if made != [update.new]:
        what = f"Gitea's merge of {number} makes {len(made)} new commits; gitward accepts one"
        return what, rebase
    tip = ctx.push.commits[update.new]
    styles = styles_of(tip, update.old, head)
    if not styles:
        parents = ", ".join(p[:10] for p in tip.parents)
        what = f"claims to merge {number}, but its parents ({parents}) are not {branch}'s "
        what += "tip and the pull request's head"
        return what, ASK
    allowed = [s for s in styles if s in option.styles]
    if not allowed:
        what = f"is Gitea's {styles[0]} of {number}; this rule allows forge merges by: "
        hint = f"ask an admin to add {styles[0]} to signatures.forge_merges.styles"
        return what + ", ".join(option.styles), hint
    if not head.contains_base and "merge" not in allowed:
        what = f"{number} is behind {branch}: a {allowed[0]} counts only once it contains "
        what += f"{branch}'s tip ({update.old[:10]})"
        return what, rebase
    if head.contains_base and merge.tip_tree != head.tree:
        return f"its tree is not the tree of {number}'s head ({head.oid[:10]})", ASK
    return None


def _rebase_hint(number: str, branch: str, old: str) -> str:
    command = hints.SIGN_MANY.format(base=old[:10])
    return (
        f"rebase {number} onto {branch} and sign it: run `{command}` on its branch, push it "
        "and merge again"
    )


def _unsigned(
    ctx: RuleContext, merge: ForgeMerge, signer: str, judge: Judge
) -> tuple[str, str] | None:
    """Why the forge's commit is not signed by `signer`'s key (None: it is)."""
    tip = ctx.push.commits[ctx.facts.update.new]
    rule = SignatureRule((signer,), require_committer_email_match=False)
    found = judge(ctx, rule, tip.signature, tip.committer, "committer")
    if found is None:
        return None
    what = f"Gitea's merge of pull request #{merge.claim.pr_index} needs {signer}'s signature"
    hint = (
        f"set Gitea to sign merges with the key registered for {signer} "
        "(app.ini [repository.signing]: SIGNING_KEY, MERGES = always)"
    )
    return f"{what}: {found.what}", hint

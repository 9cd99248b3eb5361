"""Whether a forge's claim to be merging a pull request counts. PURE.

The GITEA_* variables are Gitea's word only when Gitea runs the hook: in a push to Gitea over
SSH or HTTP, Gitea builds the hook's environment itself and a pusher cannot add to it, but a
push that reaches the repository another way (a `git daemon` started with them set, say) can
carry any variable. So the claim counts only when the pusher detector (`hook.pusher`) found
the push to be Gitea's, which it never does with a `git daemon` among the hook's ancestors;
then only in a push Gitea makes itself (SSH_ORIGINAL_COMMAND `gitea-internal`) that names its
pull request (GITEA_PR_ID, and GITEA_PR_INDEX to find the head at `refs/pull/<index>/head`) and
moves one existing branch forward, as Gitea's merge does. The first failure is told.
"""

from typing import NamedTuple

from gitward.policy.context import RuleContext
from gitward.policy.mergefacts import ForgeMerge, PullHead

SIGN_IT = (
    "push merges through Gitea's Merge button, or sign this one: "
    "run `git commit --amend --no-edit -S` and push again"
)
ASK = (
    "ask an admin: gitward counts a forge merge only in Gitea's own push of a pull "
    "request's merge (docs/policy.md, Forge merges)"
)


class Distrust(NamedTuple):
    what: str
    hint: str


def trusted_head(ctx: RuleContext, merge: ForgeMerge) -> PullHead | Distrust:
    """The head of the pull request the claim names when the claim counts, else why not."""
    claim = merge.claim
    claims = "claims to be Gitea's merge of a pull request"
    source = ctx.push.pusher.source
    if source != "gitea":
        return Distrust(f"{claims}, but came through {source}, not Gitea", SIGN_IT)
    if not claim.internal:
        what = f"{claims}, but is not a push Gitea makes itself (SSH_ORIGINAL_COMMAND)"
        return Distrust(what, ASK)
    if claim.pr_id is None:
        return Distrust(f"{claims}, but names none (GITEA_PR_ID)", ASK)
    if claim.pull_ref is None:
        what = f"{claims}, but without GITEA_PR_INDEX (older Gitea): its head cannot be found"
        return Distrust(what, ASK)
    number = f"pull request #{claim.pr_index}"
    if len(ctx.push.refs) != 1:
        what = f"claims to merge {number}, but updates {len(ctx.push.refs)} refs, not one branch"
        return Distrust(what, ASK)
    facts = ctx.facts
    if facts.kind != "branch" or facts.fast_forward is not True:  # None: created or deleted
        what = f"claims to merge {number}, but does not move an existing branch forward"
        return Distrust(what, ASK)
    if merge.head is None:
        what = f"claims to merge {number}, but {claim.pull_ref} names no commit here"
        return Distrust(what, ASK)
    return merge.head

"""What gitward knows about a push a forge makes to merge a pull request. PURE values.

Three layers fill them in, each with what it can know: the hook reads the claim from the
forge's environment (`hook.mergeclaim`), the facts layer reads the pull request's head from git
(`facts.merges`), and the signatures family judges them (`policy.forgemerge`). Nothing here is
trusted yet: whether the claim counts is the policy's decision (`policy.mergetrust`).
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from gitward.model import Commit

# GITEA_PUSH_TRIGGER when Gitea pushes a pull request's merge into its base branch (the Merge
# button, or auto-merge); Gitea's `modules/repository/env.go`, `PushTriggerPRMergeToBase`.
GITEA_MERGE_TRIGGER = "pr-merge-to-base"
# SSH_ORIGINAL_COMMAND in every push Gitea makes itself (`FullPushingEnvironment`).
GITEA_INTERNAL_COMMAND = "gitea-internal"


class MergeClaim(NamedTuple):
    """What the environment says: "Gitea is pushing the merge of a pull request"."""

    trigger: str  # GITEA_PUSH_TRIGGER as set
    pr_id: int | None  # GITEA_PR_ID, when a positive integer (Gitea sets 0 for other pushes)
    pr_index: int | None  # GITEA_PR_INDEX: the pull request's number, when a positive integer
    internal: bool  # SSH_ORIGINAL_COMMAND is Gitea's own `gitea-internal`

    @property
    def pull_ref(self) -> str | None:
        """Where the base repository keeps the pull request's head (None: no number)."""
        return None if self.pr_index is None else f"refs/pull/{self.pr_index}/head"


class PullHead(NamedTuple):
    """The pull request's head, as the base repository held it before the push."""

    oid: str
    tree: str
    parents: tuple[str, ...]
    # Whether the head contains the updated branch's old tip (the pull request is up to date).
    contains_base: bool
    # The pull request's own commits: reachable from the head and new to each rule (the same
    # exclusion as the rule's own range), in `git rev-list` order.
    commits_by_rule: Mapping[str, tuple[str, ...]] = MappingProxyType({})


class ForgeMerge(NamedTuple):
    """The claim and what git shows about it, for the push's one ref update."""

    claim: MergeClaim
    # The pull request's head; None when the push is not one branch update, the claim names
    # no pull request, or `refs/pull/<index>/head` names no commit.
    head: PullHead | None = None
    tip_tree: str | None = None  # the tree of the update's new commit
    # The pull request's own commits that the update does not bring (a squash replaces them),
    # read and verified like the push's own.
    commits: Mapping[str, Commit] = MappingProxyType({})

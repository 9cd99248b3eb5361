"""The forge's claim that a push merges a pull request, as the hook's environment states it.

Gitea's Merge button (and auto-merge) builds the merge in a temporary repository and pushes it
to the base branch with, besides the usual GITEA_* variables, GITEA_PUSH_TRIGGER
`pr-merge-to-base`, GITEA_PR_ID (the pull request's database id), GITEA_PR_INDEX (its number;
newer versions) and SSH_ORIGINAL_COMMAND `gitea-internal` (go-gitea/gitea
`services/pull/merge.go` `doMergeAndPush`, `modules/repository/env.go`
`FullPushingEnvironment`). They are read here as they are; whether they count is the policy's
decision (`policy.mergetrust`), given what the pusher detector (`hook.pusher`) found.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitward.policy.mergefacts import GITEA_INTERNAL_COMMAND, GITEA_MERGE_TRIGGER, MergeClaim

MAX_DIGITS = 18  # an int64, as Gitea formats ids and numbers


def merge_claim(env: Mapping[str, str]) -> MergeClaim | None:
    """The claim, when GITEA_PUSH_TRIGGER says Gitea pushes a pull request's merge; else None
    (a push that claims nothing is judged as any other)."""
    trigger = env.get("GITEA_PUSH_TRIGGER", "").strip()
    if trigger != GITEA_MERGE_TRIGGER:
        return None
    return MergeClaim(
        trigger,
        pr_id=_positive(env.get("GITEA_PR_ID")),
        pr_index=_positive(env.get("GITEA_PR_INDEX")),
        internal=env.get("SSH_ORIGINAL_COMMAND") == GITEA_INTERNAL_COMMAND,
    )


def _positive(value: str | None) -> int | None:
    """A positive decimal integer as Gitea writes it; None for anything else (Gitea writes 0
    in pushes that concern no pull request)."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS:
        return None
    number = int(text)
    return number if number > 0 else None

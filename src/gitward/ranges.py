"""Which commits a rule checks for a ref update: one `git rev-list` per distinct question.

For an update of ref R and a rule P matching R, P checks `git rev-list <new> --not <current tips
of every existing ref matched by P>` (see PLAN "Policy semantics", issue 2 section 4). "Current"
is before the push (pre-receive runs before refs move), so R's own old tip is excluded when R
exists, and a new ref (all-zero old) is never computed as `old..new`. A commit parked on a
branch P does not protect is therefore still checked when it reaches a branch P protects by
fast-forward.

A warn-mode rule never blocks, so the parked-commit attack means nothing to it: it reports on
the commits new to the repository (every existing ref's tip excluded). Otherwise a warning rule
over feature branches that leaves `main` out would re-read and re-report all of main's history
each time a branch is created from it, and could even run a push out of its time budget.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitward.deadline import Deadline
from gitward.git import Repo
from gitward.model import RefUpdate
from gitward.policy.spec import Rule


class RuleRanges:
    """Which commits a rule checks for an update; one `rev-list` per distinct question.

    `refs`: every ref and its tip before the push. `ranges=True` is `gitward check`'s mode: an
    update with an old id checks exactly `old..new`, and one without checks `new` minus the
    other refs the rule protects."""

    def __init__(
        self, repo: Repo, refs: Mapping[str, str], ranges: bool, deadline: Deadline
    ) -> None:
        self._repo, self._refs, self._ranges, self._deadline = repo, refs, ranges, deadline
        self._protected: dict[str, list[str]] = {}  # rule id -> existing refs it matches
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}

    def commits(self, update: RefUpdate, rule: Rule, tip: str) -> tuple[str, ...]:
        """Ids of the commits `rule` checks when `update` moves its ref to commit `tip`."""
        if self._ranges and not update.is_create:
            exclude: tuple[str, ...] = (update.old,)  # `gitward check A..B`: exactly A..B
        else:
            if rule.id not in self._protected:
                trusted = rule.mode == "warn"  # see the module docstring
                self._protected[rule.id] = [r for r in self._refs if trusted or rule.matches(r)]
            # Current tips, the updated ref's own old tip included (pre-receive runs before
            # refs move). `gitward check B` asks about B as if REF were created there.
            skip = update.ref if self._ranges else None
            tips = {self._refs[r] for r in self._protected[rule.id] if r != skip}
            exclude = tuple(sorted(tips))
        key = (tip, exclude)
        if key not in self._cache:
            self._cache[key] = tuple(self._repo.rev_list([tip], exclude, self._deadline))
        return self._cache[key]

"""Which commits a rule checks for a ref update: one `git rev-list` per exclusion set.

For an update of ref R and a rule P matching R, P checks `git rev-list <new> --not <tips, before
the update, of every ref matched by P>`: a commit is new to P unless a ref P protects already
reached it. "Before" is what the caller passes (`before.RefsBefore`; in pre-receive the
repository's refs, which git has not moved yet), so R's own old tip is excluded when R existed,
and a new ref (all-zero old) is never computed as `old..new`. A commit parked on a branch P does
not protect is therefore still checked when it reaches a branch P protects by fast-forward
(excluding every ref's tip, as "new to the repository" would, counts it as already there).

A warn-mode rule never blocks, so the parked-commit attack means nothing to it: it reports on
the commits new to the repository (every existing ref's tip excluded). Otherwise a warning rule
over feature branches that leaves `main` out would re-read and re-report all of main's history
each time a branch is created from it, and could even run a push out of its time budget.

Many updates share an exclusion set (every new branch of a mirror push, for one rule), so one
`git rev-list --parents` lists the commits of all their tips at once and each tip's own commits
are found by walking the listed parents in Python: a push of 1,000 branches asks git once per
rule, not 1,000 times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from heapq import heappop, heappush

from gitward.deadline import Deadline
from gitward.git.repo import Repo
from gitward.model import RefUpdate
from gitward.policy.spec import Rule

_CHECK_EVERY = 4096  # commits walked between two looks at the deadline


class RuleRanges:
    """Which commits a rule checks for an update; one `rev-list` per exclusion set.

    `refs`: every ordinary ref and its tip before the update. `exact_ranges=True` is `gitward
    check`'s mode: an update with an old id checks exactly `old..new`, and one without checks
    `new` minus the other refs the rule protects. Announce every question with `expect` before
    asking the first with `commits`, so that tips sharing an exclusion set are listed together;
    an unannounced question is still answered, by a `rev-list` of its own."""

    def __init__(
        self, repo: Repo, refs: Mapping[str, str], exact_ranges: bool, deadline: Deadline
    ) -> None:
        self._repo, self._refs, self._deadline = repo, refs, deadline
        self._exact = exact_ranges
        self._by_rule: dict[tuple[str, str | None], int] = {}  # (rule id, ref left out) -> set
        self._numbers: dict[tuple[str, ...], int] = {}  # exclusion set -> its number
        self._excluded: list[tuple[str, ...]] = []  # number -> exclusion set (sorted ids)
        self._waiting: dict[int, dict[str, None]] = {}  # number -> tips expected, not listed
        self._answers: dict[tuple[int, str], tuple[str, ...]] = {}

    def expect(self, update: RefUpdate, rules: Iterable[Rule], tip: str) -> None:
        """Announce that `commits(update, rule, tip)` will be asked for each of `rules`."""
        for rule in rules:
            number = self._set_number(update, rule)
            if (number, tip) not in self._answers:
                self._waiting.setdefault(number, {})[tip] = None

    def commits(self, update: RefUpdate, rule: Rule, tip: str) -> tuple[str, ...]:
        """Ids of the commits `rule` checks when `update` moves its ref to commit `tip`, in
        the order `git rev-list` prints them."""
        number = self._set_number(update, rule)
        if (number, tip) not in self._answers:
            tips = self._waiting.pop(number, {})
            tips[tip] = None
            self._list(number, [t for t in tips if (number, t) not in self._answers])
        return self._answers[(number, tip)]

    def _set_number(self, update: RefUpdate, rule: Rule) -> int:
        """The number of the exclusion set of `rule` for `update`."""
        if self._exact and not update.is_create:
            return self._number((update.old,))  # `gitward check A..B`: exactly A..B
        # Tips before the update, the updated ref's own old tip included. `gitward check B`
        # asks about B as if REF were created there.
        skip = update.ref if self._exact else None
        key = (rule.id, skip)
        if key not in self._by_rule:
            trusted = rule.mode == "warn"  # never blocks: every ref counts (module docstring)
            refs = [r for r in self._refs if r != skip and (trusted or rule.matches(r))]
            self._by_rule[key] = self._number(tuple(sorted({self._refs[r] for r in refs})))
        return self._by_rule[key]

    def _number(self, excluded: tuple[str, ...]) -> int:
        # Numbers, not the (maybe 10,000 ids long) sets, key the caches: a tuple's hash is
        # not cached, and would be computed again on each look-up.
        if excluded not in self._numbers:
            self._numbers[excluded] = len(self._excluded)
            self._excluded.append(excluded)
        return self._numbers[excluded]

    def _list(self, number: int, tips: list[str]) -> None:
        excluded, dl = self._excluded[number], self._deadline
        if len(tips) == 1:  # git's own listing is the answer
            self._answers[(number, tips[0])] = tuple(self._repo.rev_list(tips, excluded, dl))
            return
        rows = self._repo.rev_list_parents(tips, excluded, dl)
        for tip, commits in zip(tips, each_tip(tips, rows, dl), strict=True):
            self._answers[(number, tip)] = commits


def each_tip(
    tips: Sequence[str], rows: Sequence[tuple[str, int, tuple[str, ...]]], deadline: Deadline
) -> list[tuple[str, ...]]:
    """For each tip, the commits of `git rev-list <tip> --not <X>`, in git's order, given
    `rows`: one `Repo.rev_list_parents(tips, X)`.

    The listing holds every commit reachable from a tip and not from X, and so every commit on
    the way from the tip to it (one reachable from X would make it so too): walking the listed
    parents from a tip finds exactly its commits. The order is git's walk replayed, newest
    committer time first and ties in the order commits were met (`commit_list_insert_by_date`);
    it cannot be read off the shared listing, where other tips change which commit is met first.
    (Under clock skew git may stop walking before marking all that X reaches and list a few such
    commits, never missing a new one; a walk over many tips stops later, so it lists fewer.)
    The work is the size of the answers; the deadline is looked at every `_CHECK_EVERY` steps."""
    dates = {oid: when for oid, when, _ in rows}
    parents = {oid: [p for p in ps if p in dates] for oid, _, ps in rows}
    answers: list[tuple[str, ...]] = []
    steps = 0
    for tip in tips:
        if tip not in dates:  # reachable from X: nothing new
            answers.append(())
            continue
        order, seen, met = [], {tip}, 0
        queue: list[tuple[int, int, str]] = []
        oid = tip
        while True:
            order.append(oid)
            for parent in parents[oid]:
                if parent not in seen:
                    seen.add(parent)
                    met += 1
                    heappush(queue, (-dates[parent], met, parent))
            if not queue:
                break
            oid = heappop(queue)[2]
            steps += 1
            if steps % _CHECK_EVERY == 0:
                deadline.check("listing the commits of each ref")
        answers.append(tuple(order))
    return answers

"""What one rule sees while judging one ref update."""

from collections.abc import Callable, Iterable
from typing import NamedTuple, Protocol

from gitward.errors import GitError
from gitward.model import Commit, Push, RefFacts, Violation
from gitward.policy.mergefacts import ForgeMerge
from gitward.policy.spec import Policy, Rule, Signers


class Budget(Protocol):
    """The time left to judge (`gitward.deadline.Deadline` is one): `check` raises
    `BudgetExceeded` once it has run out, naming `what` was being done."""

    def check(self, what: str) -> None: ...


class Unlimited:
    """A budget that never runs out (judging values already in memory, in tests)."""

    def check(self, what: str) -> None:
        return None


class RuleContext(NamedTuple):
    policy: Policy
    signers: Signers
    push: Push
    facts: RefFacts
    rule: Rule
    # Set when the forge claims this push merges a pull request (only the hook can tell).
    merge: ForgeMerge | None = None
    # Looked at by families whose work grows with the push's content (`content`).
    budget: Budget = Unlimited()
    # Results one evaluation shares between rules and refs (a blob scanned once), by key.
    memo: dict[object, object] | None = None

    @property
    def ref(self) -> str:
        return self.facts.update.ref

    def commits(self) -> tuple[Commit, ...]:
        """The commits this rule must check for this update, in the order the facts give.

        Raises `GitError` when a listed commit is missing from `Push.commits`: the facts are
        incomplete, and judging only part of a push would be failing open.
        """
        out = []
        for oid in self.facts.commits_by_rule.get(self.rule.id, ()):
            commit = self.push.commits.get(oid)
            if commit is None:
                raise GitError(f"commit {oid} of {self.ref} was not read; refusing to judge it")
            out.append(commit)
        return tuple(out)

    def violation(
        self, check: str, message: str, hint: str = "", oid: str | None = None
    ) -> Violation:
        """An enforce-mode violation of this rule's `check` (modes are applied later)."""
        return Violation(f"{self.rule.id}/{check}", self.ref, message, hint, oid)


# One rule family (signatures, messages, protection): a context in, violations out.
Family = Callable[[RuleContext], Iterable[Violation]]

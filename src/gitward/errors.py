"""One error base for every broken *operation*.

Policy violations are not errors: they are `model.Violation` values. An exception derived from
`GitwardError` means gitward could not do its job (unreadable policy, missing verifier, timeout)
and is translated exactly once per edge: the hook refuses the push with one line, the CLI prints
one line and exits non-zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class GitwardError(Exception):
    """Base class. `str(err)` is the one line shown to a user; keep it actionable."""


class ConfigError(GitwardError):
    """The policy or the signer files are invalid. Carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems) if self.problems else "invalid configuration")


class PolicyRollback(ConfigError):
    """The policy repository's ref names a commit that does not descend from the policy commit
    last used: refused, never a step back to an older (maybe weaker) policy. `audit_log`: where
    the policy last used writes its audit log (None when unknown)."""

    def __init__(self, problems: list[str], audit_log: Path | None = None) -> None:
        super().__init__(problems)
        self.audit_log = audit_log


class VerifierUnavailable(GitwardError):
    """A tool or library needed to judge signatures is missing (fail closed)."""


class CheckerUnavailable(GitwardError):
    """A library or engine a content check needs is missing (a Rego engine, a parser): the
    check cannot judge, so the push is refused (fail closed)."""


class PolicyFailed(GitwardError):
    """A Rego policy failed while judging a pushed manifest: the push cannot be judged, so it is
    refused (fail closed). `policy` names it for the pusher; `str(err)` has the details."""

    def __init__(self, policy: str, message: str) -> None:
        self.policy = policy
        super().__init__(message)


class GitError(GitwardError):
    """A git command failed or an object could not be read."""


class BudgetExceeded(GitwardError):
    """The hook ran out of its time budget."""


class SignerEditError(GitwardError):
    """A signer-list edit was refused (bad key, duplicate id, lock held...)."""


class BadInput(GitwardError):
    """git sent the hook a line that is not `old new ref` (or arguments it does not take)."""

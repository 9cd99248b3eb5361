"""Message presets: Conventional Commits subjects, DCO `Signed-off-by:` trailers, reverts.

All judge the message as git reads it (`commitmsg`, `trailers`): the subject is git's `%s`, a
sign-off counts only as a trailer.
"""

from __future__ import annotations

from gitward.model import Commit
from gitward.policy import patterns, trailers

CONVENTIONAL_TYPES = (
    "feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert",
)  # fmt: skip
# https://www.conventionalcommits.org/en/v1.0.0/#specification: `type(scope)!: description`.
# Types are lower case, as commitlint's config-conventional (type-case) requires. RE2 syntax
# (`patterns`); the description starts with neither an ASCII space nor a Unicode one.
CONVENTIONAL = r"^(?:" + "|".join(CONVENTIONAL_TYPES) + r")(?:\([^()\r\n]+\))?!?: [^\s\pZ]"
# https://developercertificate.org/ and git's `--signoff`: `Signed-off-by: Name <email>`.
SIGNED_OFF_BY = "Signed-off-by"


def is_conventional(subject: str) -> bool:
    return patterns.search(CONVENTIONAL, subject) is not None


def signed_off_by_author(commit: Commit) -> bool:
    """True when a `Signed-off-by` trailer names the author: `Name <email>`, both compared
    case-insensitively (the key too, as git compares keys)."""
    author = (commit.author.name.strip().casefold(), commit.author.email.strip().casefold())
    return author in (_name_and_email(v) for v in trailers.values(commit.message, SIGNED_OFF_BY))


def _name_and_email(value: str) -> tuple[str, str] | None:
    """`Name <email>` as (name, email), case-folded; None for any other shape."""
    name, lt, rest = value.partition("<")
    email, gt, after = rest.partition(">")
    if not (lt and gt) or after:
        return None
    return name.rstrip(" \t").casefold(), email.strip().casefold()


def is_revert(commit: Commit) -> bool:
    """What `git revert` writes: a subject starting with `Revert "`."""
    return commit.subject.startswith('Revert "')

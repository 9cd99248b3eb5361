"""Message presets: Conventional Commits subjects and DCO `Signed-off-by:` trailers.

Regexes are compiled once per pattern (`compiled`), admins' patterns included.
"""

from __future__ import annotations

import re
from functools import lru_cache

from gitward.model import Commit

CONVENTIONAL_TYPES = (
    "feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert",
)  # fmt: skip
# https://www.conventionalcommits.org/en/v1.0.0/#specification: `type(scope)!: description`.
# Types are lower case, as commitlint's config-conventional (type-case) requires.
CONVENTIONAL = r"(?:" + "|".join(CONVENTIONAL_TYPES) + r")(?:\([^()\r\n]+\))?!?: \S"
# https://developercertificate.org/ and git's `--signoff`: `Signed-off-by: Name <email>`.
SIGNED_OFF_BY = (
    r"(?im)^[ \t]*Signed-off-by:[ \t]*(?P<name>[^<\r\n]*?)[ \t]*<(?P<email>[^>\r\n]*)>[ \t]*\r?$"
)


@lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    """`re.compile` with a cache; raises `re.error` for a broken pattern (config validates)."""
    return re.compile(pattern)


def is_conventional(subject: str) -> bool:
    return compiled(CONVENTIONAL).match(subject) is not None


def signed_off_by_author(commit: Commit) -> bool:
    """True when a `Signed-off-by:` line names the author (name and e-mail, case-insensitive)."""
    name = commit.author.name.strip().casefold()
    email = commit.author.email.strip().casefold()
    for found in compiled(SIGNED_OFF_BY).finditer(commit.message):
        if found["name"].casefold() == name and found["email"].strip().casefold() == email:
            return True
    return False


def is_revert(commit: Commit) -> bool:
    """What `git revert` writes: a subject starting with `Revert "`."""
    return commit.subject.startswith('Revert "')

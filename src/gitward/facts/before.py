"""The refs before the update being judged: what decides which commits are already there.

A rule checks the commits a push brings that no ref it protects reached before (`ranges`), so
the facts must be told which refs existed before the update, and where they pointed. Inside
pre-receive that is the repository as it is now (`read_refs_before`): git runs the hook before
it moves any ref. A receiver that judges a push after fetching it into a mirror must not read
the mirror's refs, which already hold the new tips and would hide the very commits it must
check: it passes the forge's before-state, `RefsBefore({"refs/heads/main": <before id>})`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from gitward.deadline import Deadline
from gitward.git.repo import Repo
from gitward.model import RefUpdate


class RefsBefore(NamedTuple):
    """The refs before the update. `tips`: every ref and the object it named."""

    tips: Mapping[str, str]


def read_refs_before(repo: Repo, updates: Sequence[RefUpdate], deadline: Deadline) -> RefsBefore:
    """The repository's refs as they are now; in pre-receive, before the push."""
    return RefsBefore(MappingProxyType(repo.for_each_ref(deadline)))

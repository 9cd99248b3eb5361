"""The refs before the update being judged: what decides which commits are already there.

A rule checks the commits a push brings that no ref it protects reached before (`ranges`), so
the facts must be told which refs existed before the update, and where they pointed. Inside
pre-receive that is the repository as it is now (`read_refs_before`): git runs the hook before
it moves any ref. A receiver that judges a push after fetching it into a mirror must not read
the mirror's refs, which already hold the new tips and would hide the very commits it must
check: it passes the forge's before-state, `RefsBefore({"refs/heads/main": <before id>})`.
"""

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from gitward.deadline import Deadline
from gitward.git.repo import Repo
from gitward.model import RefUpdate


class RefsBefore(NamedTuple):
    """The refs before the update.

    `tips`: every ordinary ref and the object it named. Never a symbolic ref under its own
    name: it names its target's object, so an alias matching a protected glob would make the
    commits of its (maybe unprotected) target count as already protected.
    `symbolic`: symbolic ref -> the ref git updates through it (the end of the chain, which
    may not exist yet). An update of one of these names is refused (`builtin/symbolic-ref`).
    """

    tips: Mapping[str, str]
    symbolic: Mapping[str, str] = MappingProxyType({})


def read_refs_before(repo: Repo, updates: Sequence[RefUpdate], deadline: Deadline) -> RefsBefore:
    """The repository's refs as they are now; in pre-receive, before the push. Each updated
    ref is also looked up as a possibly dangling symbolic ref, which no listing shows."""
    listing = repo.refs(deadline)
    # A listed name is an ordinary ref or a symbolic one whose target exists: already known.
    # The others are new names or dangling symbolic refs (pushing to one creates its target).
    known = listing.tips.keys() | listing.symbolic.keys()
    unlisted = [u.ref for u in updates if u.ref not in known]
    symbolic = listing.symbolic | repo.symbolic_refs(unlisted, deadline)
    return RefsBefore(MappingProxyType(listing.tips), MappingProxyType(symbolic))

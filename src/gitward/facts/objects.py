"""The objects of a push, read from git once: tips and their tags peeled, commits and tags
parsed and their signatures verified.

Every distinct object is read once (through the repository's one `git cat-file --batch`),
parsed once and its signature verified once, whatever the number of rules and refs that
include it. A malformed object raises `GitError` (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gitward.deadline import Deadline
from gitward.errors import GitError
from gitward.git.objects import ParsedTag, parse_commit, parse_tag
from gitward.git.repo import Repo
from gitward.model import Commit, SignatureCheck, Tag

# (payload, signature) -> what the verifier found. Injectable for tests.
Verifier = Callable[[bytes, bytes], SignatureCheck]
# (commits done, commits in total), called every `_STEP` commits.
Progress = Callable[[int, int], None]
_STEP = 100
_MAX_TAG_DEPTH = 16


class ObjectCache:
    """Objects of the push read once by id (the tips: old and new ids), tags parsed and peeled
    on demand."""

    def __init__(self, repo: Repo, fmt: str, deadline: Deadline) -> None:
        self._repo, self._fmt, self._deadline = repo, fmt, deadline
        self._raw: dict[str, tuple[str, bytes]] = {}
        self._tags: dict[str, Tag] = {}

    def load(self, oids: Sequence[str]) -> None:
        todo = [o for o in dict.fromkeys(oids) if o not in self._raw]
        for oid, typ, raw in self._repo.read_objects(todo, self._deadline):
            self._raw[oid] = (typ, raw)

    def type(self, oid: str) -> str:
        self.load([oid])
        return self._raw[oid][0]

    def peel(self, oid: str) -> tuple[str, str]:
        """The object a chain of annotated tags ends at, and its type."""
        for _ in range(_MAX_TAG_DEPTH):
            if self.type(oid) != "tag":
                return oid, self.type(oid)
            oid = self._parse_tag(oid).target
        raise GitError(f"tag chain longer than {_MAX_TAG_DEPTH} at {oid}")

    def _parse_tag(self, oid: str) -> ParsedTag:
        try:
            return parse_tag(oid, self._raw[oid][1], self._fmt)
        except ValueError as exc:
            raise GitError(f"malformed tag object {oid}: {exc}") from None

    def tag(self, oid: str, verify: Verifier) -> Tag:
        if oid not in self._tags:
            parsed = self._parse_tag(oid)
            sig = SignatureCheck.unsigned()
            if parsed.signature is not None:
                sig = verify(parsed.payload, parsed.signature)
            self._tags[oid] = Tag(
                oid, parsed.target, parsed.target_type, parsed.name, parsed.tagger,
                parsed.message, sig,
            )  # fmt: skip
        return self._tags[oid]


def read_commits(
    repo: Repo,
    oids: list[str],
    fmt: str,
    verify: Verifier,
    deadline: Deadline,
    progress: Progress | None,
) -> dict[str, Commit]:
    """Read, parse and verify each commit of `oids` (distinct ids); `GitError` when one is
    not a well-formed commit."""
    commits: dict[str, Commit] = {}
    total = len(oids)
    for done, (oid, typ, raw) in enumerate(repo.read_objects(oids, deadline), 1):
        if typ != "commit":
            raise GitError(f"object {oid} is a {typ}, expected a commit")
        try:
            parsed = parse_commit(oid, raw, fmt)
        except ValueError as exc:
            raise GitError(f"malformed commit {oid}: {exc}") from None
        sig = SignatureCheck.unsigned()
        if parsed.signature is not None:
            sig = verify(parsed.payload, parsed.signature)
        commits[oid] = Commit(
            oid, parsed.parents, parsed.author, parsed.committer, parsed.message, sig
        )
        if done % _STEP == 0:
            deadline.check("checking commits")
            if progress is not None:
                progress(done, total)
    if progress is not None and total:
        progress(total, total)
    return commits

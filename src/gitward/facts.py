"""Gather the facts of a push: which commits each rule must check, parsed and verified.

The one subtle part is *which* commits (see PLAN "Policy semantics", issue 2 section 4): for
an update of ref R and a rule P matching R, P checks `git rev-list <new> --not <current tips
of every existing ref matched by P>`. "Current" is before the push (pre-receive runs before
refs move), so R's own old tip is excluded when R exists, and a new ref (all-zero old) is never
computed as `old..new`. A commit parked on a branch P does not protect is therefore still
checked when it reaches a branch P protects by fast-forward.

Every distinct commit is read once (one `git cat-file --batch`), parsed once and its
signature verified once, whatever the number of rules and refs that include it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from gitward.deadline import Deadline
from gitward.errors import GitError
from gitward.git import Repo
from gitward.gitobjects import ParsedTag, parse_commit, parse_tag
from gitward.model import (
    Commit,
    Push,
    Pusher,
    RefFacts,
    RefUpdate,
    SignatureCheck,
    Tag,
)
from gitward.policy.spec import Policy, Rule

if TYPE_CHECKING:
    from gitward.signing.openpgp import Keyring

# (payload, signature) -> what the verifier found. Injectable for tests.
Verifier = Callable[[bytes, bytes], SignatureCheck]
# (commits done, commits in total), called every `_STEP` commits.
Progress = Callable[[int, int], None]
_STEP = 100
_MAX_TAG_DEPTH = 16


class ConfigLike(Protocol):
    """What `gather` needs of `gitward.config.LoadedConfig`."""

    @property
    def policy(self) -> Policy: ...

    @property
    def keyring(self) -> Keyring: ...


def gather(
    repo: Repo,
    updates: Sequence[RefUpdate],
    loaded: ConfigLike,
    pusher: Pusher,
    push_options: tuple[str, ...],
    received_at: datetime,
    deadline: Deadline,
    *,
    repository: str | None = None,
    ranges: bool = False,
    verify: Verifier | None = None,
    progress: Progress | None = None,
) -> Push:
    """Build the `Push` the engine judges. Raises `GitError` (unreadable or malformed
    object, git failure) or `BudgetExceeded`; never returns partial facts.

    `ranges=True` is `gitward check`'s mode: an update with an old id checks exactly
    `old..new`, and one without checks `new` minus the other refs the rule protects."""
    deadline.check("gathering facts")
    refs = repo.for_each_ref(deadline)
    fmt = _object_format(repo, updates, deadline)
    check = verify or _default_verifier(loaded)
    objects = _Objects(repo, fmt, deadline)
    # Read every tip at once: `new` of each update, `old` where fast-forward is asked.
    tips = [u.new for u in updates if not u.is_delete]
    tips += [u.old for u in updates if not (u.is_delete or u.is_create)]
    objects.load(tips)

    commit_ranges = _Ranges(repo, refs, ranges, deadline)
    partial: list[tuple[RefUpdate, str, dict[str, tuple[str, ...]], Tag | None]] = []
    for update in updates:
        rules = loaded.policy.rules_for(update.ref)
        if update.is_delete:
            partial.append((update, "", {r.id: () for r in rules}, None))
            continue
        peeled, peeled_type = objects.peel(update.new)
        if peeled_type == "commit":
            by_rule = {r.id: commit_ranges.commits(update, r, peeled) for r in rules}
        else:
            by_rule = {r.id: () for r in rules}  # a tag of a tree or blob brings no commits
        new_type = objects.type(update.new)
        tag = objects.tag(update.new, check) if new_type == "tag" else None
        partial.append((update, new_type, by_rule, tag))

    wanted = [o for _, _, by_rule, _ in partial for c in by_rule.values() for o in c]
    commits = _read_commits(repo, list(dict.fromkeys(wanted)), fmt, check, deadline, progress)
    facts = []
    for update, new_type, by_rule, tag in partial:
        ff = None
        if not (update.is_create or update.is_delete):
            news = {o for c in by_rule.values() for o in c}
            ff = _fast_forward(repo, objects, update, [commits[o] for o in news], deadline)
        facts.append(RefFacts(update, ff, by_rule, tag, new_type))
    return Push(
        repository=repository or str(repo.path),
        pusher=pusher,
        received_at=received_at,
        refs=tuple(facts),
        commits=commits,
        push_options=push_options,
    )


def _object_format(repo: Repo, updates: Sequence[RefUpdate], deadline: Deadline) -> str:
    # git hands pre-receive ids of the repository's hash length; asking git costs a spawn.
    for u in updates:
        return "sha256" if len(u.new) == 64 else "sha1"
    return repo.object_format(deadline)


def _default_verifier(loaded: ConfigLike) -> Verifier:
    def verify(payload: bytes, signature: bytes) -> SignatureCheck:
        # Imported on first use: a push without signatures never loads the verifiers.
        from gitward.signing import verify_signature  # noqa: PLC0415

        return verify_signature(
            payload,
            signature,
            loaded.keyring,
            refuse_sha1=loaded.policy.settings.refuse_sha1,
        )

    return verify


class _Ranges:
    """Which commits a rule checks for an update; one `rev-list` per distinct question."""

    def __init__(
        self, repo: Repo, refs: Mapping[str, str], ranges: bool, deadline: Deadline
    ) -> None:
        self._repo, self._refs, self._ranges, self._deadline = repo, refs, ranges, deadline
        self._protected: dict[str, list[str]] = {}  # rule id -> existing refs it matches
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}

    def commits(self, update: RefUpdate, rule: Rule, tip: str) -> tuple[str, ...]:
        if self._ranges and not update.is_create:
            exclude: tuple[str, ...] = (update.old,)  # `gitward check A..B`: exactly A..B
        else:
            if rule.id not in self._protected:
                self._protected[rule.id] = [r for r in self._refs if rule.matches(r)]
            # Current tips, the updated ref's own old tip included (pre-receive runs before
            # refs move). `gitward check B` asks about B as if REF were created there.
            skip = update.ref if self._ranges else None
            tips = {self._refs[r] for r in self._protected[rule.id] if r != skip}
            exclude = tuple(sorted(tips))
        key = (tip, exclude)
        if key not in self._cache:
            self._cache[key] = tuple(self._repo.rev_list([tip], exclude, self._deadline))
        return self._cache[key]


def _fast_forward(
    repo: Repo, objects: _Objects, update: RefUpdate, new: Sequence[Commit], deadline: Deadline
) -> bool:
    """Whether `update.new` contains `update.old`. `new`: commits known reachable from it."""
    old, old_type = objects.peel(update.old)
    tip, tip_type = objects.peel(update.new)
    if old == tip:
        return True
    if old_type != "commit" or tip_type != "commit":
        return False  # moving a ref away from (or to) a tree or blob is not a fast-forward
    # The usual push: a new commit's parent is the old tip. Saves a second walk of the
    # history (merge-base costs as much as rev-list on a 10,000-commit push).
    if any(old in c.parents for c in new):
        return True
    return repo.is_ancestor(old, tip, deadline)


class _Objects:
    """The tips of the push (old and new ids), read once, and tags peeled on demand."""

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


def _read_commits(
    repo: Repo,
    oids: list[str],
    fmt: str,
    verify: Verifier,
    deadline: Deadline,
    progress: Progress | None,
) -> dict[str, Commit]:
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

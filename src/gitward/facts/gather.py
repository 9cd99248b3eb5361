"""Gather the facts of a push: which commits each rule must check, parsed and verified.

The one subtle part is *which* commits (`ranges`), which depends on the refs before the update:
an input (`before.RefsBefore`), since only the caller knows when "before" was. Every distinct
commit is read once (one `git cat-file --batch`), parsed once and its signature verified once,
whatever the number of rules and refs that include it (`objects`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from gitward.deadline import Deadline
from gitward.facts.before import RefsBefore
from gitward.facts.objects import ObjectCache, Progress, Verifier, read_commits
from gitward.facts.ranges import RuleRanges
from gitward.git.repo import Repo
from gitward.model import Commit, Push, Pusher, RefFacts, RefUpdate, SignatureCheck, Tag
from gitward.policy.spec import Policy, Rule

if TYPE_CHECKING:
    from gitward.facts.content import ContentFacts
    from gitward.signing.openpgp import Keyring


class ConfigLike(Protocol):
    """What `gather` needs of `gitward.config.LoadedConfig`."""

    @property
    def policy(self) -> Policy: ...

    @property
    def keyring(self) -> Keyring: ...


def gather(
    repo: Repo,
    updates: Sequence[RefUpdate],
    before: RefsBefore,
    loaded: ConfigLike,
    pusher: Pusher,
    push_options: tuple[str, ...],
    received_at: datetime,
    deadline: Deadline,
    *,
    repository: str | None = None,
    exact_ranges: bool = False,
    verify: Verifier | None = None,
    progress: Progress | None = None,
) -> Push:
    """Build the `Push` the engine judges. Raises `GitError` (unreadable or malformed
    object, git failure) or `BudgetExceeded`; never returns partial facts.

    `before`: the refs before the update (in pre-receive: `before.read_refs_before`).
    `exact_ranges=True` is `gitward check`'s mode: an update with an old id checks exactly
    `old..new`, and one without checks `new` minus the other refs the rule protects."""
    deadline.check("gathering facts")
    fmt = _object_format(repo, updates, deadline)
    check = verify or default_verifier(loaded)
    objects = ObjectCache(repo, fmt, deadline)
    # Read every tip at once: `new` of each update, `old` where fast-forward is asked.
    tips = [u.new for u in updates if not u.is_delete]
    tips += [u.old for u in updates if not (u.is_delete or u.is_create)]
    objects.load(tips)

    commit_ranges = RuleRanges(repo, before.tips, exact_ranges, deadline)
    rules_of = [loaded.policy.rules_for(u.ref) for u in updates]
    peeled_of = [("", "") if u.is_delete else objects.peel(u.new) for u in updates]
    for update, rules, (peeled, peeled_type) in zip(updates, rules_of, peeled_of, strict=True):
        if peeled_type == "commit":  # announced first: one rev-list lists many tips
            commit_ranges.expect(update, rules, peeled)
    partial: list[tuple[RefUpdate, str, dict[str, tuple[str, ...]], Tag | None]] = []
    for update, rules, (peeled, peeled_type) in zip(updates, rules_of, peeled_of, strict=True):
        if update.is_delete:
            partial.append((update, "", {r.id: () for r in rules}, None))
            continue
        if peeled_type == "commit":
            by_rule = {r.id: commit_ranges.commits(update, r, peeled) for r in rules}
        else:
            by_rule = {r.id: () for r in rules}  # a tag of a tree or blob brings no commits
        new_type = objects.type(update.new)
        tag = objects.tag(update.new, check) if new_type == "tag" else None
        partial.append((update, new_type, by_rule, tag))

    listed = [o for _, _, by_rule, _ in partial for c in by_rule.values() for o in c]
    commits = read_commits(repo, list(dict.fromkeys(listed)), fmt, check, deadline, progress)
    found = _content(repo, partial, rules_of, peeled_of, deadline, commits)
    facts = []
    for i, (update, new_type, by_rule, tag) in enumerate(partial):
        ff = None
        if not (update.is_create or update.is_delete):
            news = {o for c in by_rule.values() for o in c}
            ff = _fast_forward(repo, objects, update, [commits[o] for o in news], deadline)
        target = before.symbolic.get(update.ref)
        tip = found.tips.get(i) if found is not None else None
        paths = found.updates_changed.get(i) if found is not None else None
        held = found.befores.get(i) if found is not None else None
        facts.append(RefFacts(update, ff, by_rule, tag, new_type, target, tip, paths, held))
    push = Push(
        repository=repository or str(repo.path),
        pusher=pusher,
        received_at=received_at,
        refs=tuple(facts),
        commits=commits,
        push_options=push_options,
    )
    if found is None:
        return push
    return push._replace(
        changes=found.changes,
        blobs=found.blobs,
        documents=found.documents,
        paths_changed=found.paths_changed,
    )


def _content(
    repo: Repo,
    partial: Sequence[tuple[RefUpdate, str, dict[str, tuple[str, ...]], Tag | None]],
    rules_of: Sequence[tuple[Rule, ...]],
    peeled_of: Sequence[tuple[str, str]],
    deadline: Deadline,
    commits: Mapping[str, Commit],
) -> ContentFacts | None:
    """What the content rules need (`facts.content`), loaded only when a rule has content
    (None otherwise: a push under a policy without content rules never loads that module)."""
    if not any(r.content is not None for rules in rules_of for r in rules):
        return None
    from gitward.facts.content import gather_content, wanted  # noqa: PLC0415  # see above

    asked = []
    for i, ((update, _, by_rule, _), rules, (peeled, peeled_type)) in enumerate(
        zip(partial, rules_of, peeled_of, strict=True)
    ):
        if peeled_type == "commit":
            old = "" if update.is_create else update.old
            asked += wanted(i, rules, by_rule, peeled, old)
    return gather_content(repo, asked, deadline, commits)


def _object_format(repo: Repo, updates: Sequence[RefUpdate], deadline: Deadline) -> str:
    # git hands pre-receive ids of the repository's hash length; asking git costs a spawn.
    for u in updates:
        return "sha256" if len(u.new) == 64 else "sha1"
    return repo.object_format(deadline)


def default_verifier(loaded: ConfigLike) -> Verifier:
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


def _fast_forward(
    repo: Repo, objects: ObjectCache, update: RefUpdate, new: Sequence[Commit], deadline: Deadline
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

"""Protected paths and the two-person rule. PURE: commits and signer facts in, violations out.

A rule protects paths (globs: `*` within a directory, `**` across directories, a leading `**/`
also matching at the top) and names the signers whose signatures count (signer ids and
`group:<name>`, as a signature rule's `signers`). For each protected path a push changes on
the rule's ref, the commits that bring the change must:
- each be signed by an allowed signer, with a key valid when the push arrived (judged as the
  signatures family judges, `signatures.judge`; the committer's e-mail is not asked for: a
  reviewer signs a merge of someone else's work) -> check `path-signature`;
- together carry signatures of at least `min_signers` distinct allowed signers -> check
  `two-person`. With 2, the author's signed commit and a second member's signed merge commit
  pass; one stolen key (every commit signed by it is one signer) or one careless reviewer
  cannot change a protected path alone. Only the commits that bring the version the ref ends
  up with count: a second member's signed commit of another version of the file, merged in
  and then overwritten, vouches for nothing the ref gets.

Which changes (`run`): the protected paths (also selected by the rule's `paths`) that a commit
the rule checks changes against its first parent (added, changed or deleted; for a merge, all
it brings to its first parent, so a merge that quietly takes an older version is a change
too), and that the update changes between the ref's old and new tip. The second condition
spares a sync merge ("merge main into my branch") that repeats a change the ref already has;
the first keeps the exclusion semantics of every content check: content the ref gets from
history a ref the rule protects already holds is not judged again.

Which commits bring a change (`bringers`): those in the push that change the path themselves,
and every merge commit in the push through which one of them arrives from a side branch
(reachable from a later parent, not the first). Which count: the same, from the commits that
leave the path as the new tip has it.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from gitward.errors import GitError
from gitward.model import Commit, Violation
from gitward.policy import pathglobs, quorum, signatures
from gitward.policy.content import twoperson_report
from gitward.policy.content.scope import ContentCheck, Needs, Scope
from gitward.policy.context import RuleContext
from gitward.policy.sigfaults import Finding
from gitward.policy.spec import ProtectedPaths, SignatureRule

SPEND_EVERY = 256  # commits between two looks at the time budget


def needs(settings: ProtectedPaths) -> Needs:
    return Needs(paths_changed=True)


def run(scope: Scope, settings: ProtectedPaths) -> Iterator[Violation]:
    """The update's changes of protected paths (module docstring), judged by `check`."""
    pushed = _parents_first(scope.ctx.commits())
    final = scope.update_paths()  # path -> its blob at the new tip
    within = None if settings.every_path else scope.content.paths
    touched: dict[str, list[str]] = {}  # path -> the commits that change it
    setters: dict[str, list[str]] = {}  # path -> those that leave it as the new tip has it
    for n, oid in enumerate(pushed):
        if n % SPEND_EVERY == 0:
            scope.spend("checking protected paths")
        for path, blob in scope.paths_changed(oid).items():
            if path in final and pathglobs.select(within, path):
                touched.setdefault(path, []).append(oid)
                if blob == final[path]:
                    setters.setdefault(path, []).append(oid)
    yield from check(scope.ctx, settings, changes(settings, pushed, touched, setters))


def _parents_first(commits: Sequence[Commit]) -> dict[str, Commit]:
    """`commits` each after its parents among them: git lists them by date, which a clock
    can get wrong, and the report names the first signer's commit and the last bringer."""
    by_id = {c.oid: c for c in commits}
    out: dict[str, Commit] = {}
    for start in reversed(commits):
        stack = [start.oid]
        while stack:
            oid = stack[-1]
            todo = [p for p in by_id[oid].parents if p in by_id and p not in out]
            if oid in out or not todo:
                out.setdefault(oid, by_id[oid])
                stack.pop()
            else:
                stack.extend(todo)
    return out


def protects(rule: ProtectedPaths, path: str) -> bool:
    return pathglobs.select(rule.paths, path)


class Change(NamedTuple):
    """Protected paths that the same commits bring to the ref."""

    paths: tuple[str, ...]
    commits: tuple[str, ...]  # the commits that bring them, in the push's order
    # Those whose signers count: the ones that bring the paths' final version (None: all).
    counted: tuple[str, ...] | None = None


def bringers(commits: Mapping[str, Commit], touching: Collection[str]) -> tuple[str, ...]:
    """The commits of `commits` (the push's new commits) that bring the change `touching` (the
    ones among them that change the path) makes: those, and the merges they arrive through."""
    reached: dict[str, frozenset[str]] = {}  # commit -> touching commits it reaches in the push
    for oid in commits:
        _reach(oid, commits, touching, reached)
    out = []
    for oid, commit in commits.items():
        through_side = frozenset().union(*(reached.get(p, frozenset()) for p in commit.parents[1:]))
        first = reached.get(commit.parents[0], frozenset()) if commit.parents else frozenset()
        if oid in touching or through_side - first:
            out.append(oid)
    return tuple(out)


def _reach(
    start: str,
    commits: Mapping[str, Commit],
    touching: Collection[str],
    reached: dict[str, frozenset[str]],
) -> None:
    """Fill `reached` for `start` and its ancestors in the push, without recursion (a push can
    hold a long chain)."""
    stack = [start]
    while stack:
        oid = stack[-1]
        if oid in reached:
            stack.pop()
            continue
        parents = [p for p in commits[oid].parents if p in commits]
        todo = [p for p in parents if p not in reached]
        if todo:
            stack.extend(todo)
            continue
        own = frozenset((oid,)) if oid in touching else frozenset()
        reached[oid] = own.union(*(reached[p] for p in parents))
        stack.pop()


def changes(
    rule: ProtectedPaths,
    commits: Mapping[str, Commit],
    touched: Mapping[str, Iterable[str]],
    setters: Mapping[str, Iterable[str]] | None = None,
) -> tuple[Change, ...]:
    """The protected paths of `touched` (path -> the push's commits that change it; only paths
    the update changes between the ref's old and new tip), grouped by the commits that bring
    them. `setters`: path -> those of them that leave it as the new tip has it (None: all)."""
    grouped: dict[tuple[tuple[str, ...], tuple[str, ...] | None], list[str]] = {}
    brought: dict[frozenset[str], tuple[str, ...]] = {}  # most paths share their commits

    def bring(touching: frozenset[str]) -> tuple[str, ...]:
        if touching not in brought:
            brought[touching] = bringers(commits, touching)
        return brought[touching]

    for path in sorted(touched):
        if protects(rule, path):
            final = None if setters is None else bring(frozenset(setters.get(path, ())))
            key = (bring(frozenset(touched[path])), final)
            grouped.setdefault(key, []).append(path)
    return tuple(Change(tuple(paths), oids, counted) for (oids, counted), paths in grouped.items())


def check(ctx: RuleContext, rule: ProtectedPaths, found: Sequence[Change]) -> Iterator[Violation]:
    """`path-signature` for each bringing commit no allowed signer signed (once per commit),
    `two-person` for each change short of `min_signers` distinct allowed signers."""
    sigrule = SignatureRule(rule.signers, require_committer_email_match=False, tags=False)
    judged: dict[str, str | Finding] = {}  # commit -> its signer's id, or why none counts
    if rule.every_path and _short_overall(ctx, rule, sigrule, judged):
        return  # the signatures family says so already (`quorum`), about the whole update
    for change in found:
        counted: dict[str, str] = {}  # signer id -> the first commit they signed
        refused = False
        counts = set(change.commits if change.counted is None else change.counted)
        for oid in change.commits:
            commit = ctx.push.commits.get(oid)
            if commit is None:  # incomplete facts: judging part of a push would fail open
                raise GitError(f"commit {oid} of {ctx.ref} was not read; refusing to judge it")
            verdict = judged.get(oid)
            if verdict is None:
                verdict = judged[oid] = _signer(ctx, sigrule, commit)
                if isinstance(verdict, Finding) and not rule.every_path:  # else: signatures'
                    yield twoperson_report.unsigned(ctx, change.paths, commit, verdict)
            refused = refused or isinstance(verdict, Finding)
            if isinstance(verdict, str) and oid in counts:
                counted.setdefault(verdict, oid)
        # Counted as `signatures.min_distinct_signers` counts: by signer id.
        missing, _ = quorum.shortfall(rule.min_signers, counted)
        if missing and not (rule.min_signers == 1 and refused):
            last = change.commits[-1] if change.commits else None
            yield twoperson_report.short(ctx, rule, change.paths, last, counted, missing)


def _short_overall(
    ctx: RuleContext, rule: ProtectedPaths, sigrule: SignatureRule, judged: dict[str, str | Finding]
) -> bool:
    """Whether all the update's new commits together have fewer distinct allowed signers than
    the rule needs (filling `judged` on the way)."""
    found = set()
    for commit in ctx.commits():
        verdict = judged.setdefault(commit.oid, _signer(ctx, sigrule, commit))
        if isinstance(verdict, str):
            found.add(verdict)
    return quorum.shortfall(rule.min_signers, found)[0] > 0


def _signer(ctx: RuleContext, sigrule: SignatureRule, commit: Commit) -> str | Finding:
    """The id of the allowed signer who signed `commit`, or why its signature does not count."""
    found = signatures.judge(ctx, sigrule, commit.signature, None, "committer")
    owned = ctx.signers.owner_of(commit.signature.key_fingerprint or "")
    if found is not None or owned is None:
        return found or Finding("signature", "not signed by a known signer")
    return owned[0].id


CHECK = ContentCheck(needs, run)

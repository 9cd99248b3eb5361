"""The facts of a push the forge says merges a pull request: the pull request's head (where
the base repository keeps it, `refs/pull/<index>/head`), its own commits and the trees the
policy compares (`policy.forgemerge`).

Read only when the claim is made and a rule matching the updated ref allows forge merges; the
policy decides whether the claim counts. The pull request's commits a rule must see are those
its head reaches that are new to that rule, with the same exclusion as the rule's own range
(`ranges.RuleRanges`): one `git rev-list` per such rule. Those the push itself does not bring
(a squash replaces them) are read and verified like the push's own commits.
"""

from __future__ import annotations

from gitward.deadline import Deadline
from gitward.errors import GitError
from gitward.facts.before import RefsBefore
from gitward.facts.gather import ConfigLike, default_verifier
from gitward.facts.objects import Verifier, read_commits
from gitward.facts.ranges import RuleRanges
from gitward.git.objects import ParsedCommit, parse_commit
from gitward.git.repo import Repo
from gitward.model import Push
from gitward.policy.mergefacts import ForgeMerge, MergeClaim, PullHead


def gather_merge(
    repo: Repo,
    push: Push,
    before: RefsBefore,
    claim: MergeClaim,
    loaded: ConfigLike,
    deadline: Deadline,
    *,
    verify: Verifier | None = None,
) -> ForgeMerge | None:
    """The facts of `claim` for `push` (gathered by `facts.gather` from the same `before`);
    None when no rule matching an updated ref allows forge merges (then the claim changes
    nothing). Raises `GitError` or `BudgetExceeded` like `gather`."""
    rules = [
        rule
        for facts in push.refs
        for rule in loaded.policy.rules_for(facts.update.ref)
        if rule.signatures is not None and rule.signatures.forge_merges is not None
    ]
    if not rules:
        return None
    merge = ForgeMerge(claim)
    head_oid = before.tips.get(claim.pull_ref or "")
    if len(push.refs) != 1 or head_oid is None or push.refs[0].update.is_delete:
        return merge  # no head to look at: the policy says why the claim does not count
    update = push.refs[0].update
    fmt = "sha256" if len(update.new) == 64 else "sha1"
    parsed = _commits(repo, [head_oid, update.new], fmt, deadline)
    head = parsed.get(head_oid)
    if head is None:
        return merge
    ranges = RuleRanges(repo, before.tips, False, deadline)
    own = {rule.id: ranges.commits(update, rule, head_oid) for rule in rules}
    contains = not update.is_create and repo.is_ancestor(update.old, head_oid, deadline)
    wanted = [o for oids in own.values() for o in oids if o not in push.commits]
    check = verify or default_verifier(loaded)
    commits = read_commits(repo, list(dict.fromkeys(wanted)), fmt, check, deadline, None)
    tip = parsed.get(update.new)
    return merge._replace(
        head=PullHead(head_oid, head.tree, head.parents, contains, own),
        tip_tree=tip.tree if tip is not None else None,
        commits=commits,
    )


def _commits(repo: Repo, oids: list[str], fmt: str, deadline: Deadline) -> dict[str, ParsedCommit]:
    """The commits among `oids`, parsed (other objects are left out)."""
    found = {}
    for oid, typ, raw in repo.read_objects(list(dict.fromkeys(oids)), deadline):
        if typ == "commit":
            try:
                found[oid] = parse_commit(oid, raw, fmt)
            except ValueError as exc:
                raise GitError(f"malformed commit {oid}: {exc}") from None
    return found

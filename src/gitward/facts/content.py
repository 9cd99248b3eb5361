"""What content rules read: the files each checked commit brings, the blobs behind them, the
pushed tips' trees. Gathered only for rules with `content`, and only what their checks ask
(`policy.content.needs`).

Which commits: those `commits_by_rule` lists for the rule, so content follows the exclusion
semantics of every other family. Their changes come from one `git diff-tree --stdin`; the
blobs' sizes and bytes from the repository's one `git cat-file --batch` (text blobs up to the
largest size a check asks for; larger ones are read through and dropped, binary ones dropped
with the reason); a tip's tree from `git ls-tree -r`. All bytes kept together are bounded by
`MAX_CONTENT` (`BudgetExceeded` beyond: a push that brings more new text than that is refused,
never judged in part).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from gitward.deadline import Deadline
from gitward.errors import BudgetExceeded, GitError
from gitward.git.repo import Repo
from gitward.model import (
    GITLINK_MODE,
    SYMLINK_MODE,
    Blob,
    Commit,
    Documents,
    FileChange,
    TipFile,
)
from gitward.policy import content, pathglobs
from gitward.policy.spec import ContentRule, Rule

MAX_CONTENT = 768 * 2**20  # bytes of blobs kept in memory at once, all rules together
SYMLINK_BYTES = 4096  # a symbolic link's target is read whatever the checks ask (PATH_MAX)
BINARY_PROBE = 8000  # git's own test: a NUL byte in the first 8,000 bytes (`buffer_is_binary`)
YAML_SUFFIXES = (".yaml", ".yml")


class Wanted(NamedTuple):
    """One content rule on one update: which commits it checks and what its checks need."""

    update: int  # index of the update in the push
    content: ContentRule
    commits: tuple[str, ...]
    tip: str  # the update's new value peeled to a commit
    old: str = ""  # the update's old value ("" for a creation)


def wanted(
    update: int,
    rules: Iterable[Rule],
    by_rule: Mapping[str, tuple[str, ...]],
    tip: str,
    old: str = "",
) -> list[Wanted]:
    """The content rules among `rules` that turn a check on, for update number `update`."""
    return [
        Wanted(update, r.content, by_rule.get(r.id, ()), tip, old)
        for r in rules
        if r.content is not None and content.active(r.content)
    ]


class ContentFacts(NamedTuple):
    changes: Mapping[str, tuple[FileChange, ...]] = MappingProxyType({})
    blobs: Mapping[str, Blob] = MappingProxyType({})
    documents: Mapping[str, Documents] = MappingProxyType({})
    tips: Mapping[int, Mapping[str, TipFile]] = MappingProxyType({})  # update index -> tree
    paths_changed: Mapping[str, Mapping[str, str]] = MappingProxyType({})  # see `Push`
    updates_changed: Mapping[int, Mapping[str, str]] = MappingProxyType({})  # see `RefFacts`


def gather_content(
    repo: Repo,
    asked: Sequence[Wanted],
    deadline: Deadline,
    commits: Mapping[str, Commit] = MappingProxyType({}),
) -> ContentFacts:
    """The content facts `asked` for (see `wanted`); `GitError` when an object cannot be
    read. `commits`: the commits `asked` lists, read (their parents, for `Needs.paths_changed`)."""
    if not asked:
        return ContentFacts()
    deadline.check("listing the new files")
    listed = list(dict.fromkeys(c for w in asked for c in w.commits))
    raw = repo.diff_tree(listed, deadline)
    changes = {c: tuple(FileChange(*change) for change in raw[c]) for c in listed}
    limits: dict[str, int] = {}  # blob id -> how much of it to read (0: its size only)
    yaml_blobs: set[str] = set()
    tips: dict[int, Mapping[str, TipFile]] = {}
    for w in asked:
        need = content.needs(w.content)
        new_name = False
        for change in _selected(w, changes):
            new_name = new_name or change.added
            if change.mode == GITLINK_MODE:
                continue  # another repository's commit: nothing here to read
            limit = SYMLINK_BYTES if change.mode == SYMLINK_MODE else need.content_bytes
            limits[change.oid] = max(limits.get(change.oid, 0), limit)
            if need.yaml and change.path.lower().endswith(YAML_SUFFIXES):
                yaml_blobs.add(change.oid)
        if need.tip_tree and new_name and w.update not in tips:
            files = repo.ls_tree(w.tip, deadline)
            tips[w.update] = MappingProxyType({p: TipFile(p, o, m) for p, o, m in files})
    blobs = _read(repo, limits, deadline)
    paths, updates = _paths_changed(repo, asked, commits, deadline)
    return ContentFacts(
        MappingProxyType(changes),
        MappingProxyType(blobs),
        MappingProxyType(_documents(blobs, yaml_blobs)),
        MappingProxyType(tips),
        MappingProxyType(paths),
        MappingProxyType(updates),
    )


def _paths_changed(
    repo: Repo, asked: Sequence[Wanted], commits: Mapping[str, Commit], deadline: Deadline
) -> tuple[dict[str, Mapping[str, str]], dict[int, Mapping[str, str]]]:
    """For the rules whose checks need `paths_changed`: the paths (and blobs left there) each
    of their commits changes against its first parent, and those each update changes between
    its tips (a creation: every file of its tip)."""
    needing = [w for w in asked if content.needs(w.content).paths_changed]
    if not needing:
        return {}, {}
    first_parents: dict[str, str | None] = {}
    for oid in dict.fromkeys(c for w in needing for c in w.commits):
        commit = commits.get(oid)
        if commit is None:
            raise GitError(f"commit {oid} was not read; refusing to judge its paths")
        first_parents[oid] = commit.parents[0] if commit.parents else None
    found = repo.first_parent_paths(first_parents, deadline)
    paths: dict[str, Mapping[str, str]] = {c: MappingProxyType(found[c]) for c in first_parents}
    updates: dict[int, Mapping[str, str]] = {}
    for w in needing:
        if w.update in updates:
            continue
        parents = commits[w.tip].parents if w.tip in paths else ()
        if not w.old:
            tree = {path: oid for path, oid, _ in repo.ls_tree(w.tip, deadline)}
            updates[w.update] = MappingProxyType(tree)
        elif parents[:1] == (w.old,):  # the usual push: the tip's own change is the update's
            updates[w.update] = paths[w.tip]
        else:
            updates[w.update] = MappingProxyType(repo.changed_paths(w.old, w.tip, deadline))
    return paths, updates


def _selected(w: Wanted, changes: Mapping[str, tuple[FileChange, ...]]) -> Iterable[FileChange]:
    for commit in w.commits:
        for change in changes[commit]:
            if pathglobs.select(w.content.paths, change.path):
                yield change


def _read(repo: Repo, limits: Mapping[str, int], deadline: Deadline) -> dict[str, Blob]:
    blobs: dict[str, Blob] = {}
    sized = [oid for oid, limit in limits.items() if not limit]
    for oid, size in repo.object_sizes(sized, deadline).items():
        blobs[oid] = Blob(oid, size)
    read = [oid for oid, limit in limits.items() if limit]
    kept = 0
    for oid, size, data in repo.read_blobs(read, max(limits.values(), default=0), deadline):
        limit = limits[oid]
        if data is None or size > limit:
            blobs[oid] = Blob(oid, size, None, f"larger than {limit} bytes")
        elif b"\0" in data[:BINARY_PROBE]:
            blobs[oid] = Blob(oid, size, None, "binary")
        else:
            kept += size
            if kept > MAX_CONTENT:
                raise BudgetExceeded(
                    f"the push brings more than {MAX_CONTENT // 2**20} MiB of new text to "
                    "check; push it in parts"
                )
            blobs[oid] = Blob(oid, size, data)
    return blobs


def _documents(blobs: Mapping[str, Blob], oids: Iterable[str]) -> dict[str, Documents]:
    """YAML documents of the blobs `oids` (those that are text and were read)."""
    found = {}
    for oid in oids:
        data = blobs[oid].data
        if data is not None:
            found[oid] = parse_yaml(data)
    return found


def parse_yaml(data: bytes) -> Documents:
    """Every document of a YAML stream, read safely (no Python objects, no tags beyond YAML's
    own), or why it could not be read."""
    import yaml  # noqa: PLC0415  # already loaded with the policy; kept out of `facts` imports

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return Documents(tuple(yaml.load_all(data, Loader=loader)))  # a safe loader
    except yaml.YAMLError as exc:
        return Documents((), str(exc).splitlines()[0][:200] if str(exc) else "not YAML")

"""What content rules read: the files each checked commit brings, the blobs behind them, the
pushed tips' trees. Gathered only for rules with `content`, and only what their checks ask
(`policy.content.needs`).

Which commits: those `commits_by_rule` lists for the rule, so content follows the exclusion
semantics of every other family. Their changes come from one `git diff-tree --stdin`; the
blobs' sizes and bytes from the repository's one `git cat-file --batch` (text blobs up to the
largest size a check asks for; larger ones are read through and dropped, binary ones dropped
with the reason, UTF-16 ones with a byte-order mark kept as UTF-8); a tip's tree from
`git ls-tree -r`; manifests through `gitward.manifests`.
All bytes kept together are bounded by
`MAX_CONTENT` (`BudgetExceeded` beyond: a push that brings more new text than that is refused,
never judged in part).
"""

import codecs
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
    FileChange,
    ParsedFile,
    TipFile,
    Unreadable,
)
from gitward.policy import content, pathglobs
from gitward.policy.content import k8s, kustomize
from gitward.policy.spec import ContentRule, Rule

MAX_CONTENT = 768 * 2**20  # bytes of blobs kept in memory at once, all rules together
SYMLINK_BYTES = 4096  # a symbolic link's target is read whatever the checks ask (PATH_MAX)
BINARY_PROBE = 8000  # git's own test: a NUL byte in the first 8,000 bytes (`buffer_is_binary`)


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
    documents: Mapping[tuple[str, str], ParsedFile] = MappingProxyType({})
    tips: Mapping[int, Mapping[str, TipFile]] = MappingProxyType({})  # update index -> tree
    paths_changed: Mapping[str, Mapping[str, str]] = MappingProxyType({})  # see `Push`
    updates_changed: Mapping[int, Mapping[str, str]] = MappingProxyType({})  # see `RefFacts`
    befores: Mapping[int, Mapping[str, TipFile]] = MappingProxyType({})  # the old trees


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
    manifests: dict[int, list[tuple[str, str]]] = {}  # update -> (path, blob) to parse
    tips: dict[int, Mapping[str, TipFile]] = {}
    befores: dict[int, Mapping[str, TipFile]] = {}
    olds: dict[int, str] = {}  # updates whose old tree a check asks for -> old value
    for w in asked:
        need = content.needs(w.content)
        new_name = brought = False
        for change in _selected(w, changes):
            new_name = new_name or change.added
            if change.mode == GITLINK_MODE:
                continue  # another repository's commit: nothing here to read
            limit = SYMLINK_BYTES if change.mode == SYMLINK_MODE else need.content_bytes
            limits[change.oid] = max(limits.get(change.oid, 0), limit)
            if need.yaml and change.mode != SYMLINK_MODE:
                manifests.setdefault(w.update, []).append((change.path, change.oid))
                brought = True
        if ((need.tip_tree and new_name) or need.yaml) and w.update not in tips:
            files = repo.ls_tree(w.tip, deadline)
            tips[w.update] = MappingProxyType({p: TipFile(p, o, m) for p, o, m in files})
        if need.yaml:  # the tip's .sops.yaml files say which files must be encrypted, its
            # kustomizations which files generate Secrets
            for tip in _sops_configs(tips[w.update]) + _kustomizations(tips[w.update]):
                limits[tip.oid] = max(limits.get(tip.oid, 0), k8s.MANIFEST_BYTES)
        if need.yaml and need.before_tree and brought:  # else the check judges no file here
            olds[w.update] = w.old
    for update, old in olds.items():  # once every rule added its files
        befores[update] = _before(repo, old, manifests.get(update, []), limits, deadline)
    blobs = _read(repo, limits, deadline)
    documents = _documents(blobs, manifests, tips, deadline) if manifests else {}
    paths, updates = _paths_changed(repo, asked, commits, deadline)
    return ContentFacts(
        MappingProxyType(changes),
        MappingProxyType(blobs),
        MappingProxyType(documents),
        MappingProxyType(tips),
        MappingProxyType(paths),
        MappingProxyType(updates),
        MappingProxyType(befores),
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


def _before(
    repo: Repo, old: str, files: list[tuple[str, str]], limits: dict[str, int], deadline: Deadline
) -> Mapping[str, TipFile]:
    """The tree `old` names (empty for a creation); the earlier version of each of `files` is
    added to them (read and parsed like them)."""
    if not old or not files:
        return MappingProxyType({})
    held = {p: TipFile(p, o, m) for p, o, m in repo.ls_tree(old, deadline)}
    for path, oid in list(files):
        was = held.get(path)
        if was is not None and was.oid != oid and was.mode not in (GITLINK_MODE, SYMLINK_MODE):
            limits[was.oid] = max(limits.get(was.oid, 0), k8s.MANIFEST_BYTES)
            files.append((path, was.oid))
    return MappingProxyType(held)


def _sops_configs(tip: Mapping[str, TipFile]) -> list[TipFile]:
    return [f for p, f in tip.items() if k8s.is_sops_config(p) and f.mode != GITLINK_MODE]


def _kustomizations(tip: Mapping[str, TipFile]) -> list[TipFile]:
    return [
        f
        for p, f in tip.items()
        if kustomize.is_kustomization_file(p) and f.mode not in (GITLINK_MODE, SYMLINK_MODE)
    ]


def _selected(w: Wanted, changes: Mapping[str, tuple[FileChange, ...]]) -> Iterable[FileChange]:
    for commit in w.commits:
        for change in changes[commit]:
            if pathglobs.select(w.content.paths, change.path):
                yield change


def _utf16(data: bytes) -> bytes | None:
    """UTF-16 text with its byte-order mark, as UTF-8; None for anything else. git calls it
    binary (its NUL bytes), but Go's YAML readers (kustomize, kubectl) read it by the mark:
    skipped, a Secret or a key written so would pass every check."""
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        text = data.decode("utf-16")  # the mark says which byte order, and is dropped
    except UnicodeDecodeError:
        return None
    return None if "\0" in text else text.encode("utf-8")


def _read(repo: Repo, limits: Mapping[str, int], deadline: Deadline) -> dict[str, Blob]:
    blobs: dict[str, Blob] = {}
    sized = [oid for oid, limit in limits.items() if not limit]
    for oid, size in repo.object_sizes(sized, deadline).items():
        blobs[oid] = Blob(oid, size)
    read = [oid for oid, limit in limits.items() if limit]
    kept = 0
    for oid, size, raw in repo.read_blobs(read, max(limits.values(), default=0), deadline):
        limit = limits[oid]
        if raw is None or size > limit:
            blobs[oid] = Blob(oid, size, None, f"larger than {limit} bytes")
            continue
        # Checks read UTF-8: the Secret and key patterns are written in it.
        data = raw if b"\0" not in raw[:BINARY_PROBE] else _utf16(raw)
        if data is None:
            blobs[oid] = Blob(oid, size, None, "binary")
            continue
        kept += len(data)
        if kept > MAX_CONTENT:
            raise BudgetExceeded(
                f"the push brings more than {MAX_CONTENT // 2**20} MiB of new text to "
                "check; push it in parts"
            )
        blobs[oid] = Blob(oid, size, data)
    return blobs


def _documents(
    blobs: Mapping[str, Blob],
    wanted: Mapping[int, list[tuple[str, str]]],
    tips: Mapping[int, Mapping[str, TipFile]],
    deadline: Deadline,
) -> dict[tuple[str, str], ParsedFile]:
    """The files `wanted` (and each tip's `.sops.yaml` and kustomization files) as the
    manifests adapter reads them: YAML and JSON files, and the files a `.sops.yaml` of the
    update's tip says must be encrypted or a kustomization's `secretGenerator` reads (the same
    (path, blob) under several updates: read as required if one says so)."""
    deadline.check("reading manifests")
    found: dict[tuple[str, str], ParsedFile] = {}
    required: dict[tuple[str, str], bool] = {}
    for update, files in wanted.items():
        rules: list[k8s.SopsRule] = []
        for config in _sops_configs(tips[update]):
            parsed = _parse(blobs[config.oid], config.path, False)
            found[config.path, config.oid] = parsed
            if parsed is not None:
                rules += k8s.sops_rules(config.path, parsed)[0]
        for path, oid in files:
            key = (path, oid)
            required[key] = required.get(key, False) or k8s.required_by(path, rules) is not None
    for n, ((path, oid), must) in enumerate(required.items()):
        if n % 64 == 0:
            deadline.check("reading manifests")
        found[path, oid] = _parse(blobs[oid], path, must)
    _generator_files(blobs, wanted, tips, found, required)
    return found


def _generator_files(
    blobs: Mapping[str, Blob],
    wanted: Mapping[int, list[tuple[str, str]]],
    tips: Mapping[int, Mapping[str, TipFile]],
    found: dict[tuple[str, str], ParsedFile],
    required: Mapping[tuple[str, str], bool],
) -> None:
    """Read again, as sops writes them, the files `wanted` that a `secretGenerator` reads, in a
    kustomization of the update's tip or among its files (`policy.content.kustomize`)."""
    for update, files in wanted.items():
        kustomizations = [(f.path, f.oid) for f in _kustomizations(tips[update])] + files
        for path, oid in kustomizations:
            if (path, oid) not in found:
                found[path, oid] = _parse(blobs[oid], path, False)
        parsed = ((p, found[p, o]) for p, o in dict.fromkeys(kustomizations))
        read = kustomize.referenced((p, docs) for p, docs in parsed if docs is not None)
        for path, oid in files:
            if path in read and not required[path, oid]:
                found[path, oid] = _parse(blobs[oid], path, True)


def _parse(blob: Blob, path: str, required: bool) -> ParsedFile:
    from gitward.manifests import read  # noqa: PLC0415  # PyYAML's loader, only for manifests

    if blob.data is None:
        if read(path, b"", sops_required=required) is None:
            return None  # not a manifest by its name, and nothing says it must be encrypted
        # Binary: no YAML, so no manifest kubectl would apply. Too large: unread, so it may
        # hold a Secret (fail closed).
        return Unreadable(blob.skipped or "not read", declares_secret=blob.skipped != "binary")
    parsed = read(path, blob.data, sops_required=required)
    return parsed if parsed is None or isinstance(parsed, Unreadable) else tuple(parsed)

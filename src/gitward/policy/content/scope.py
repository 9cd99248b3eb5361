"""What a content check sees, and what it asks the facts to gather: the plug-in interface.

A check whose engine or library is missing raises `errors.CheckerUnavailable` (the hook refuses
with one line, fail closed); one that reads more than budgeted calls `scope.spend` between files.

A content check is a `ContentCheck` in `content.CHECKS`, under the name of its field in
`spec.ContentRule` (and its key under `content:` in the policy file). For one ref update under
one rule, the engine builds a `Scope` and calls `check.run(scope, settings)`, `settings` being
the rule's value of that field; the check yields `Violation`s made by `scope.violation`. Before
that, `gitward.facts.content` asks every check what it `needs` and gathers only that: the
blobs' bytes (text, up to a size), the pushed tip's tree, the files read as manifests.

Which files: every file a commit the rule checks adds or changes (`RuleContext.commits`: the
same exclusion semantics as the commit families), kept when the rule's `paths` select it, each
(path, blob) once, with the oldest such commit. A secret added in one commit and deleted in
the next is in `files`, though the tip no longer has it.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from gitward.errors import GitError
from gitward.model import Blob, ParsedFile, TipFile, Violation
from gitward.policy import pathglobs
from gitward.policy.context import RuleContext
from gitward.policy.spec import ContentRule


class NewFile(NamedTuple):
    """A file the rule checks: `path` holds blob `oid` since `commit`."""

    path: str
    oid: str
    mode: str  # see `model.FileChange`
    commit: str  # the oldest of the rule's commits that brings (path, oid)
    added: bool = True  # the path is new, not only its content


class Needs(NamedTuple):
    """What a check needs gathered besides paths, modes and sizes (which are always there)."""

    # Read the bytes of text blobs up to this size (0: none). Larger or binary blobs get
    # `Blob.skipped` instead; symbolic links (their target) are always small enough.
    content_bytes: int = 0
    # `Scope.tip()`: every file of the pushed tip, when the push brings a new path.
    tip_tree: bool = False
    # `Scope.documents(...)`: every file read by `gitward.manifests` (YAML and JSON files, and
    # those a `.sops.yaml` of the pushed tip says must be encrypted or a kustomize
    # `secretGenerator` reads), the tip's `.sops.yaml` and kustomization files included;
    # implies the tip's tree, whatever the push brings (needs `content_bytes`).
    yaml: bool = False
    # `Scope.paths_changed(...)`, `Scope.update_paths()`: every path each commit changes
    # against its first parent and those the update changes, deleted ones included.
    paths_changed: bool = False
    # `Scope.before(path)`: the file as the ref held it before the update (with `yaml`).
    before_tree: bool = False


class Scope(NamedTuple):
    """One rule's content checks on one ref update."""

    ctx: RuleContext
    content: ContentRule
    files: tuple[NewFile, ...]

    @property
    def memo(self) -> dict[object, object]:
        """Results shared by every rule and ref of one evaluation (key them by check)."""
        return self.ctx.memo if self.ctx.memo is not None else {}

    def blob(self, oid: str) -> Blob:
        """The blob `oid` as the facts read it; `GitError` when they did not (incomplete
        facts: judging without it would be failing open)."""
        found = self.ctx.push.blobs.get(oid)
        if found is None:
            raise GitError(f"blob {oid} of {self.ctx.ref} was not read; refusing to judge it")
        return found

    def documents(self, path: str, oid: str) -> ParsedFile:
        """File `path` (blob `oid`) as the manifests adapter read it, None when it is no
        manifest (for a check whose `Needs.yaml` is set)."""
        key = (path, oid)
        if key not in self.ctx.push.documents:
            raise GitError(f"{path} of {self.ctx.ref} was not parsed; refusing to judge it")
        return self.ctx.push.documents[key]

    def before(self, path: str) -> ParsedFile:
        """File `path` as the ref held it before the update, read as `documents` reads files;
        None when it held no such file (for a check whose `Needs.before_tree` is set)."""
        files = self.ctx.facts.before_files
        if files is None:
            raise GitError(f"the tree {self.ctx.ref} held was not read; refusing to judge")
        held = files.get(path)
        return None if held is None else self.documents(path, held.oid)

    def tip(self) -> Mapping[str, TipFile]:
        """Every file of the pushed tip's tree (for a check whose `Needs.tip_tree` is set)."""
        if self.ctx.facts.tip_files is None:
            raise GitError(f"the tree of {self.ctx.ref} was not read; refusing to judge it")
        return self.ctx.facts.tip_files

    def paths_changed(self, commit: str) -> Mapping[str, str]:
        """Every path `commit` changes against its first parent (added, changed or deleted;
        for a merge, all it brings to its first parent) -> the blob it leaves there ("" if
        deleted) (for `Needs.paths_changed`)."""
        found = self.ctx.push.paths_changed.get(commit)
        if found is None:
            raise GitError(f"the paths of commit {commit} were not read; refusing to judge it")
        return found

    def update_paths(self) -> Mapping[str, str]:
        """The paths the update changes between its old and new tip -> their blob at the new
        tip ("" if deleted); for a creation, every file of the new tip (for
        `Needs.paths_changed`)."""
        if self.ctx.facts.changed_paths is None:
            raise GitError(f"the paths {self.ctx.ref} changes were not read; refusing to judge")
        return self.ctx.facts.changed_paths

    def tip_commit(self) -> str:
        tag = self.ctx.facts.tag
        return self.ctx.facts.update.new if tag is None else tag.target

    def spend(self, what: str) -> None:
        """Raise `BudgetExceeded` when the time budget has run out."""
        self.ctx.budget.check(what)

    def violation(self, check: str, message: str, hint: str, commit: str | None) -> Violation:
        return self.ctx.violation(check, message, hint, commit)


class ContentCheck(NamedTuple):
    # settings (the rule's value of the check's field) -> what to gather.
    needs: Callable[[Any], Needs]
    # (scope, settings) -> violations.
    run: Callable[[Scope, Any], Iterator[Violation]]


def new_files(ctx: RuleContext, content: ContentRule) -> tuple[NewFile, ...]:
    """The files `content` checks for this update (module docstring); `GitError` when the
    facts lack a commit's changes."""
    seen: set[tuple[str, str]] = set()
    out = []
    for commit in reversed(ctx.commits()):  # the facts list commits newest first
        changes = ctx.push.changes.get(commit.oid)
        if changes is None:
            raise GitError(f"the files of commit {commit.oid} were not read; refusing to judge")
        for change in changes:
            key = (change.path, change.oid)
            if key not in seen and pathglobs.select(content.paths, change.path):
                seen.add(key)
                out.append(NewFile(change.path, change.oid, change.mode, commit.oid, change.added))
    return tuple(out)

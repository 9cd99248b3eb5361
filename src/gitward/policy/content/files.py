"""The files check: what files a push may bring, whatever their content. PURE.

Per new file: its size (`max_bytes`), its path (`forbidden_paths` globs, `forbidden_extensions`
compared case-insensitively), and for a symbolic link, where it points (`symlinks_outside`: an
absolute target, or one that climbs above the repository's root or into `.git`, lets a
checkout or a build read or write outside the work tree). At the pushed tip, paths that differ
only in case or Unicode normalisation, one of them brought by the push (`case_collisions`):
on macOS and Windows they are one file, and a checkout silently keeps one of them.
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterator

from gitward.model import GITLINK_MODE, SYMLINK_MODE, Violation
from gitward.policy import pathglobs
from gitward.policy.content import fixes
from gitward.policy.content.scope import ContentCheck, Needs, NewFile, Scope
from gitward.policy.spec import FilesCheck

SPEND_EVERY = 256


def needs(settings: FilesCheck) -> Needs:
    # Symbolic links' targets are always read (they are tiny): no content needed otherwise.
    return Needs(tip_tree=settings.case_collisions)


def run(scope: Scope, settings: FilesCheck) -> Iterator[Violation]:
    extensions = {e.lower().lstrip(".") for e in settings.forbidden_extensions}
    for n, file in enumerate(scope.files):
        if n % SPEND_EVERY == 0:
            scope.spend("checking new files")
        if file.mode == GITLINK_MODE:
            continue
        yield from _file(scope, settings, extensions, file)
    if settings.case_collisions:
        yield from _collisions(scope)


def _file(
    scope: Scope, settings: FilesCheck, extensions: set[str], file: NewFile
) -> Iterator[Violation]:
    remove = fixes.remove_file(scope.ctx, file.commit, file.path)
    size = scope.blob(file.oid).size
    if settings.max_bytes is not None and size > settings.max_bytes:
        what = f"{file.path} is {size} bytes (at most {settings.max_bytes})"
        yield scope.violation("file-size", what, remove, file.commit)
    name = posixpath.basename(file.path)
    suffix = name.rsplit(".", 1)[1].lower() if "." in name[1:] else ""
    if pathglobs.select(settings.forbidden_paths or (), file.path) or suffix in extensions:
        what = f"{file.path} may not be committed here"
        yield scope.violation("forbidden-file", what, remove, file.commit)
    if file.mode == SYMLINK_MODE and settings.symlinks_outside:
        target = _target(scope, file)
        if _outside(file.path, target):
            what = f"symbolic link {file.path} points outside the repository (to {target})"
            yield scope.violation("symlink-outside", what, remove, file.commit)


def _target(scope: Scope, file: NewFile) -> str:
    data = scope.blob(file.oid).data
    return (data or b"").decode("utf-8", "surrogateescape")


def _outside(path: str, target: str) -> bool:
    """True when link `path` -> `target` resolves outside the work tree or into `.git`."""
    if not target or target.startswith("/") or "\0" in target:
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    first = resolved.split("/", 1)[0]
    return first == ".." or first.lower().rstrip(". ") == ".git"


def _folded(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


def _collisions(scope: Scope) -> Iterator[Violation]:
    """One violation per group of tip paths (files or directories) that fold to one name,
    when the push brings a new path at or below one of them."""
    touched = {f.path for f in scope.files if f.added}
    if not touched:
        return  # no new name (edits only, or nothing): no new collision; the tree is not read
    by_fold: dict[str, set[str]] = {}
    for path in scope.tip():
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            by_fold.setdefault(_folded(prefix), set()).add(prefix)
    for names in by_fold.values():
        if len(names) < 2:
            continue
        brought = sorted(p for p in touched if any(p == n or p.startswith(n + "/") for n in names))
        if brought:
            listed = ", ".join(sorted(names))
            what = f"paths differ only in case: {listed} (one file on macOS and Windows)"
            hint = f"remove or rename all but one of {listed} and push again"
            yield scope.violation("case-collision", what, hint, scope.tip_commit())


CHECK = ContentCheck(needs, run)

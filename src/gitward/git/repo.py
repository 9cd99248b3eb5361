"""The git adapter: the few plumbing commands gitward needs, run as argument lists.

Contracts every call keeps:
- the environment is the caller's plus `GIT_NO_REPLACE_OBJECTS=1`: replace refs
  (`refs/replace/*`) must never change which object we check (git-replace(1));
- the pre-receive quarantine variables (`GIT_OBJECT_DIRECTORY`,
  `GIT_ALTERNATE_OBJECT_DIRECTORIES`, `GIT_QUARANTINE_PATH`) pass through untouched, so objects
  of the push being received are readable (githooks(5), "pre-receive");
- nothing here updates a ref or writes an object;
- every call's timeout comes from a `Deadline` (`BudgetExceeded` when over); any other failure
  raises `GitError` with a one-line message.

GitPython is deliberately not used here: importing it costs ~117 ms on every push.
"""

import errno
import os
import subprocess
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gitward.deadline import Deadline
from gitward.errors import BudgetExceeded, GitError
from gitward.git.catfile import CatFile

# Variables that would point git at another repository than `Repo.path`. Dropped from the
# inherited environment (git discovers the repository from `path`) unless passed explicitly.
_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")


def _one_line(data: bytes | str | None) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # git prints hints first and the fatal line last; the last line is the useful one.
    return lines[-1][:300] if lines else "no message"


def _revisions(include: Iterable[str], exclude: Iterable[str]) -> bytes | None:
    """`rev-list --stdin` input for `include... --not exclude...`; None when nothing is
    included (git would list nothing)."""
    lines = list(include)
    if not lines:
        return None
    lines += [f"^{x}" for x in exclude]
    for rev in lines:
        if not rev.lstrip("^") or rev.startswith(("-", "^-")) or "\n" in rev:
            raise GitError(f"refusing odd revision {rev!r}")
    return ("\n".join(lines) + "\n").encode()


def _raw_change(raw: bytes, path: bytes) -> tuple[str, str, str, bool] | None:
    """`(path, new id, new mode, added)` of one `diff-tree --raw` entry (`:` once per parent,
    the parents' modes and the new mode, the parents' ids and the new id, the status: `A` per
    parent the path is new to); None for a deletion."""
    parents = len(raw) - len(raw.lstrip(b":"))
    fields = raw[parents:].split(b" ")
    if len(fields) != 2 * parents + 3:
        raise GitError(f"git diff-tree printed an odd line: {raw[:100]!r}")
    mode = fields[parents].decode("ascii", "replace")
    oid = fields[2 * parents + 1].decode("ascii", "replace")
    if mode == "000000":
        return None
    added = b"A" in fields[-1]
    return path.decode("utf-8", "surrogateescape"), oid, mode, added


def _diff_entries(
    out: bytes, commits: Mapping[str, object], headers: set[str] | None = None
) -> Iterator[tuple[str, bytes, bytes]]:
    """`(commit, raw entry, path)` of each entry `diff-tree --stdin -r -z --raw` printed for
    `commits`, adding each commit it names to `headers`; `GitError` on a line that fits
    neither (a header names a commit not asked)."""
    current: str | None = None
    tokens = out.split(b"\0")
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if not token:
            continue
        if not token.startswith(b":"):
            # The commit, then its parents when given on the line (`--stdin`).
            current = token.decode("ascii", "replace").strip().partition(" ")[0]
            if current not in commits:
                raise GitError(f"git diff-tree printed an odd line: {token[:100]!r}")
            if headers is not None:
                headers.add(current)
            continue
        if current is None or i >= len(tokens):
            raise GitError(f"git diff-tree printed an odd line: {token[:100]!r}")
        yield current, token, tokens[i]
        i += 1


def _new_blob(raw: bytes) -> str:
    """The blob a `diff-tree --raw` entry against one parent leaves (`:<old mode> <new mode>
    <old id> <new id> <status>`); "" when it deletes the path."""
    fields = raw[1:].split(b" ")
    if len(fields) != 5:
        raise GitError(f"git diff-tree printed an odd line: {raw[:100]!r}")
    return "" if fields[1] == b"000000" else fields[3].decode("ascii", "replace")


class RefListing(NamedTuple):
    """The refs of a repository (`Repo.refs`)."""

    tips: dict[str, str]  # ordinary ref -> the object it names
    symbolic: dict[str, str]  # symbolic ref -> the ref its chain ends at


class _RefDirs(NamedTuple):
    git_dir: Path  # per-worktree refs (a linked work tree has its own)
    common_dir: Path  # every other ref


# Refs each work tree keeps for itself (git-worktree(1), "Refs").
_PER_WORKTREE = ("refs/bisect/", "refs/worktree/", "refs/rewritten/")
_SYMREF_MAX_DEPTH = 5  # git follows no longer chains (SYMREF_MAXDEPTH in git's refs.h)


def _follow_loose(name: str, dirs: _RefDirs) -> str | None:
    """The ref a chain of loose symbolic refs starting at `name` ends at; None when `name` is
    not a symbolic ref."""
    target = None
    for _ in range(_SYMREF_MAX_DEPTH):
        following = _loose_symref(target or name, dirs)
        if following is None:
            break
        target = following
    return target


def _plausible_ref(name: str) -> bool:
    """False for names git refuses as refs ("..", "//", ".lock", a leading dot, no `refs/`):
    receive-pack refuses to update them after the hook, and they must never make us read a
    file outside the refs."""
    parts = name.split("/")
    bad = any(not p or p.startswith(".") or p.endswith(".lock") for p in parts) or ".." in name
    return name.startswith("refs/") and not bad


def _loose_symref(name: str, dirs: _RefDirs) -> str | None:
    if not _plausible_ref(name):
        return None
    base = dirs.git_dir if name.startswith(_PER_WORKTREE) else dirs.common_dir
    try:
        data = (base / name).read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None  # no loose ref of that name: an ordinary ref (packed) or none
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return None  # a name git cannot store as a file either: no symbolic ref

        raise GitError(f"cannot read ref {name}: {exc.strerror or exc}") from None
    if not data.startswith(b"ref:"):
        return None
    return data[4:].strip().decode("utf-8", "surrogateescape") or None


class Repo:
    """One repository, seen through `git`. Use as a context manager (or call `close()`)."""

    def __init__(
        self,
        path: str | Path,
        env: Mapping[str, str] | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        """`path`: a bare repository, a `.git` directory or a work tree. `env`: overrides on
        top of `os.environ` (for example `{"GIT_DIR": ...}`). `deadline`: default budget for
        calls that do not pass their own (none: unlimited)."""
        self.path = Path(path)
        base = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
        base.update(env or {})
        base["GIT_NO_REPLACE_OBJECTS"] = "1"
        base["GIT_OPTIONAL_LOCKS"] = "0"  # we only read; never take the index lock
        self.env: dict[str, str] = base
        self.deadline = deadline or Deadline.unlimited()
        self._format: str | None = None
        self._ref_dirs_cache: tuple[_RefDirs | None] | None = None
        self._catfile = CatFile(self.path, self.env)

    def __enter__(self) -> "Repo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the `git cat-file --batch` process, if one was started."""
        self._catfile.close()

    # -- one-shot commands -------------------------------------------------------------------

    def _run(
        self,
        args: Sequence[str],
        deadline: Deadline | None,
        input: bytes | None = None,  # mirrors subprocess.run
        ok: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess[bytes]:
        dl = deadline or self.deadline
        what = f"running git {args[0]}"
        dl.check(what)
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.path,
                env=self.env,
                input=input,
                capture_output=True,
                timeout=dl.timeout(),
                check=False,
            )
        except subprocess.TimeoutExpired:
            dl.check(what)
            raise BudgetExceeded(f"timed out {what}") from None
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        if proc.returncode not in ok:
            raise GitError(f"git {args[0]} failed: {_one_line(proc.stderr)}")
        return proc

    def object_format(self, deadline: Deadline | None = None) -> str:
        """ "sha1" or "sha256" (cached)."""
        if self._format is None:
            out = self._run(["rev-parse", "--show-object-format"], deadline).stdout
            fmt = out.decode("ascii", "replace").strip()
            if fmt not in ("sha1", "sha256"):
                raise GitError(f"unknown object format {fmt!r}")
            self._format = fmt
        return self._format

    def ref_namespace(self) -> str:
        """The prefix receive-pack puts before every ref name under `GIT_NAMESPACE`
        (gitnamespaces(7)): `a/b` -> `refs/namespaces/a/refs/namespaces/b/`; "" without one.
        The hook is told the names without it, while git stores and updates the prefixed refs."""
        raw = self.env.get("GIT_NAMESPACE", "")
        return "".join(f"refs/namespaces/{part}/" for part in raw.split("/") if part)

    def refs(self, deadline: Deadline | None = None) -> RefListing:
        """Every ref as the repository holds it *now* (inside pre-receive: before the push),
        named as receive-pack names it to the pusher: under `GIT_NAMESPACE`, only that
        namespace's refs, without its prefix. A symbolic ref is in `symbolic` only (its target
        is listed under its own name); one whose target does not exist is not listed at all:
        ask `symbolic_refs` about it."""
        prefix = self.ref_namespace()
        fmt = "--format=%(objectname)%00%(refname)%00%(symref)"
        args = ["for-each-ref", fmt, *([prefix.rstrip("/")] if prefix else [])]
        out = self._run(args, deadline).stdout.decode("utf-8", "surrogateescape")
        listing = RefListing({}, {})
        for line in out.split("\n"):
            if not line:
                continue
            fields = line.split("\0")
            if len(fields) != 3 or not fields[1].startswith(prefix):
                raise GitError(f"git for-each-ref printed an odd line: {line[:100]!r}")
            oid, name, target = fields
            name = name.removeprefix(prefix)
            if target:
                listing.symbolic[name] = target.removeprefix(prefix)
            else:
                listing.tips[name] = oid
        return listing

    def for_each_ref(self, deadline: Deadline | None = None) -> dict[str, str]:
        """Every ordinary ref and the object it names, now (`refs(...).tips`): symbolic refs
        are left out, their targets are listed under their own names."""
        return self.refs(deadline).tips

    def symbolic_refs(
        self, names: Iterable[str], deadline: Deadline | None = None
    ) -> dict[str, str]:
        """Which of `names` (named as `refs` names them) are symbolic refs, each with the ref
        its chain ends at, which may not exist. Dangling ones included: `for-each-ref` does not
        list them, yet a push through one creates its target.

        No plumbing command lists dangling symbolic refs for many names at once. With the
        "files" ref backend (the only one before git 2.45, and the default since) every
        symbolic ref is a loose file `ref: <target>` (packed-refs holds only object ids;
        gitrepository-layout(5)), so reading those files answers for any number of names after
        one `git rev-parse`. With another backend each name costs one `git symbolic-ref`."""
        todo = list(dict.fromkeys(names))
        if not todo:
            return {}
        prefix, dirs = self.ref_namespace(), self._ref_dirs(deadline)
        found: dict[str, str] = {}
        for name in todo:
            if not _plausible_ref(prefix + name):
                continue
            if dirs is None:
                target = self._symbolic_ref_command(prefix + name, deadline)
            else:
                target = _follow_loose(prefix + name, dirs)
            if target is not None:
                found[name] = target.removeprefix(prefix)
        return found

    def _ref_dirs(self, deadline: Deadline | None) -> _RefDirs | None:
        """Where loose refs live, or None when the repository's refs are not files."""
        if self._ref_dirs_cache is None:
            # `--show-ref-format` came with git 2.45 (and the reftable backend); an older git
            # echoes an option it does not know, and knows no other backend than "files".
            args = ["rev-parse", "--git-dir", "--git-common-dir", "--show-ref-format"]
            out = self._run(args, deadline).stdout.split(b"\n")
            if len(out) < 3:
                raise GitError("git rev-parse printed too few lines")
            git_dir, common_dir = (self.path / os.fsdecode(p) for p in out[:2])
            files = out[2].strip() in (b"files", b"--show-ref-format")
            self._ref_dirs_cache = (_RefDirs(git_dir, common_dir) if files else None,)
        return self._ref_dirs_cache[0]

    def _symbolic_ref_command(self, name: str, deadline: Deadline | None) -> str | None:
        # Exit 1 (with --quiet): not a symbolic ref, or no such ref. Anything else is a
        # failure: answering "not symbolic" then would let an update through an alias pass.
        proc = self._run(["symbolic-ref", "--quiet", name], deadline, ok=(0, 1))
        out = proc.stdout.decode("utf-8", "surrogateescape").strip()
        return out if proc.returncode == 0 and out else None

    def rev_list(
        self, include: Iterable[str], exclude: Iterable[str], deadline: Deadline | None = None
    ) -> list[str]:
        """`git rev-list include... --not exclude...`: commit ids, newest first. Tags are
        peeled; trees and blobs contribute nothing. Revisions go through stdin, so thousands
        of excluded tips do not hit the command-line length limit."""
        data = _revisions(include, exclude)
        if data is None:
            return []
        out = self._run(["rev-list", "--stdin"], deadline, input=data)
        return out.stdout.decode("ascii", "replace").split()

    def rev_list_parents(
        self, include: Iterable[str], exclude: Iterable[str], deadline: Deadline | None = None
    ) -> list[tuple[str, int, tuple[str, ...]]]:
        """`rev_list` with each commit's committer time (epoch seconds) and parents, in
        git's order: `(id, time, parents)`. Parents are all of the commit's, excluded or not.
        A line that is not `time id parent...` raises `GitError`."""
        data = _revisions(include, exclude)
        if data is None:
            return []
        args = ["rev-list", "--timestamp", "--parents", "--stdin"]
        out = self._run(args, deadline, input=data).stdout.decode("ascii", "replace")
        rows = []
        for line in out.splitlines():
            fields = line.split(" ")
            if len(fields) < 2 or not fields[0].isdigit() or not all(fields[1:]):
                raise GitError(f"git rev-list printed an odd line: {line[:100]!r}")
            rows.append((fields[1], int(fields[0]), tuple(fields[2:])))
        return rows

    def is_ancestor(self, a: str, b: str, deadline: Deadline | None = None) -> bool:
        """True when commit `a` is reachable from commit `b` (b fast-forwards a)."""
        proc = self._run(["merge-base", "--is-ancestor", a, b], deadline, ok=(0, 1))
        return proc.returncode == 0

    def rev_parse(self, rev: str, deadline: Deadline | None = None) -> str:
        """Full object id for a revision the user typed (`main`, `HEAD~3`, an id)."""
        if rev.startswith("-"):
            raise GitError(f"not a revision: {rev!r}")
        out = self._run(["rev-parse", "--verify", "--quiet", f"{rev}^{{object}}"], deadline)
        return out.stdout.decode("ascii", "replace").strip()

    def symbolic_ref(self, name: str = "HEAD", deadline: Deadline | None = None) -> str | None:
        """The ref a symbolic ref points to, or None when detached or missing."""
        proc = self._run(["symbolic-ref", "--quiet", name], deadline, ok=(0, 1, 128))
        out = proc.stdout.decode("utf-8", "replace").strip()
        return out if proc.returncode == 0 and out else None

    # -- cat-file --batch --------------------------------------------------------------------

    def object_type(self, oid: str, deadline: Deadline | None = None) -> str:
        """ "commit", "tag", "tree" or "blob"; `GitError` when missing."""
        # list(): consume the whole answer so the cat-file process stays usable.
        ((_, typ, _),) = list(self.read_objects([oid], deadline))
        return typ

    def read_objects(
        self, oids: Sequence[str], deadline: Deadline | None = None
    ) -> Generator[tuple[str, str, bytes], None, None]:
        """Yield `(oid, type, content)` for each full object id, in order, through one
        long-lived `git cat-file --batch` (`catfile.CatFile`). A missing object raises
        `GitError` (fail closed). The content of trees and blobs is not kept (b"")."""
        for oid, kind, body, _ in self._catfile.read(oids, deadline or self.deadline):
            yield oid, kind, body

    def read_blobs(
        self, oids: Sequence[str], limit: int, deadline: Deadline | None = None
    ) -> Generator[tuple[str, int, bytes | None], None, None]:
        """Yield `(oid, size, content)` for each blob id, in order, through the same
        `git cat-file --batch`; content is None for a blob larger than `limit` bytes (it is
        read through, never kept). A missing object, or one that is not a blob, raises
        `GitError`."""
        for oid, kind, body, size in self._catfile.read(oids, deadline or self.deadline, limit):
            if kind != "blob":
                raise GitError(f"object {oid} is a {kind}, expected a blob")
            yield oid, size, body if size <= limit else None

    def object_sizes(self, oids: Sequence[str], deadline: Deadline | None = None) -> dict[str, int]:
        """The size in bytes of each object (`git cat-file --batch-check`); a missing one
        raises `GitError`."""
        if not oids:
            return {}
        request = "".join(f"{oid}\n" for oid in oids if oid.isalnum())
        if len(request) != sum(len(o) + 1 for o in oids):
            raise GitError("refusing odd object names")
        out = self._run(["cat-file", "--batch-check"], deadline, input=request.encode())
        sizes: dict[str, int] = {}
        for line in out.stdout.decode("ascii", "replace").splitlines():
            fields = line.split(" ")
            if len(fields) != 3 or not fields[2].isdigit():
                raise GitError(f"object {fields[0][:64]} is missing from the repository")
            sizes[fields[0]] = int(fields[2])
        return sizes

    # -- trees -------------------------------------------------------------------------------

    def diff_tree(
        self, commits: Sequence[str], deadline: Deadline | None = None
    ) -> dict[str, list[tuple[str, str, str, bool]]]:
        """For each commit, the files it adds or changes as `(path, new blob id, new mode,
        whether the path is new)`:
        `git diff-tree -r -c --root` (a root commit: every file; a merge: only the paths whose
        result differs from every parent, the merge's own content). Deleted files and renames'
        old names are left out (no rename detection: a renamed file is a new file)."""
        found: dict[str, list[tuple[str, str, str, bool]]] = {c: [] for c in commits}
        if not commits:
            return found
        args = ["diff-tree", "--stdin", "-r", "-z", "-c", "--root", "--no-renames"]
        data = "".join(f"{c}\n" for c in commits).encode()
        out = self._run(args, deadline, input=data).stdout
        for commit, raw, path in _diff_entries(out, found):
            change = _raw_change(raw, path)
            if change is not None:
                found[commit].append(change)
        return found

    def first_parent_paths(
        self, commits: Mapping[str, str | None], deadline: Deadline | None = None
    ) -> dict[str, dict[str, str]]:
        """For each commit of `commits` (commit -> its first parent, None for a root commit),
        every path it adds, changes or deletes against that parent (a root commit: every
        file), with the blob it leaves there ("" when it deletes it). A merge's whole change to
        its first parent counts, unlike `diff_tree`'s."""
        found: dict[str, dict[str, str]] = {c: {} for c in commits}
        if not commits:
            return found
        # `<commit> <parent>` compares the commit with that parent alone (git-diff-tree(1),
        # --stdin), in any git version (--diff-merges=first-parent needs git 2.31).
        lines = "".join(f"{c} {p}\n" if p else f"{c}\n" for c, p in commits.items())
        # --always: a header for every commit, even one that changes nothing, so a commit git
        # could not read (which it skips in silence) is told from one without changes.
        args = ["diff-tree", "--stdin", "-r", "-z", "--root", "--no-renames", "--always"]
        out = self._run(args, deadline, input=lines.encode()).stdout
        headers: set[str] = set()
        for commit, raw, path in _diff_entries(out, found, headers):
            found[commit][path.decode("utf-8", "surrogateescape")] = _new_blob(raw)
        missing = [c for c in commits if c not in headers]
        if missing:
            raise GitError(f"git diff-tree could not read commit {missing[0]}")
        return found

    def changed_paths(self, old: str, new: str, deadline: Deadline | None = None) -> dict[str, str]:
        """Every path whose content differs between the trees of `old` and `new` (commits or
        tags of commits), with its blob in `new` ("" when `new` has none)."""
        if old.startswith("-") or new.startswith("-"):
            raise GitError(f"not a commit: {old!r} or {new!r}")
        out = self._run(["diff-tree", "-r", "-z", "--no-renames", old, new], deadline).stdout
        tokens = [t for t in out.split(b"\0") if t]
        if len(tokens) % 2 or not all(t.startswith(b":") for t in tokens[::2]):
            raise GitError(f"git diff-tree printed an odd line: {out[:100]!r}")
        return {
            path.decode("utf-8", "surrogateescape"): _new_blob(raw)
            for raw, path in zip(tokens[::2], tokens[1::2], strict=True)
        }

    def ls_tree(
        self, tree_ish: str, deadline: Deadline | None = None
    ) -> list[tuple[str, str, str]]:
        """Every file of the tree `tree_ish` names, recursively: `(path, blob id, mode)`
        (submodules as their commit id and mode 160000)."""
        if tree_ish.startswith("-"):
            raise GitError(f"not a tree: {tree_ish!r}")
        out = self._run(["ls-tree", "-r", "-z", "--full-tree", tree_ish], deadline).stdout
        files = []
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, sep, path = entry.partition(b"\t")
            fields = meta.split(b" ")
            if not sep or len(fields) != 3:
                raise GitError(f"git ls-tree printed an odd line: {entry[:100]!r}")
            mode, oid = fields[0].decode("ascii", "replace"), fields[2].decode("ascii", "replace")
            files.append((path.decode("utf-8", "surrogateescape"), oid, mode))
        return files

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

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator, Iterable, Mapping, Sequence
from pathlib import Path

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
        self._catfile = CatFile(self.path, self.env)

    def __enter__(self) -> Repo:
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

    def for_each_ref(self, deadline: Deadline | None = None) -> dict[str, str]:
        """Every ref and the object it names, as the repository holds them *now* (inside
        pre-receive: before the push). Symbolic refs appear under their own name."""
        out = self._run(["for-each-ref", "--format=%(objectname) %(refname)"], deadline)
        refs: dict[str, str] = {}
        for line in out.stdout.decode("utf-8", "surrogateescape").split("\n"):
            oid, _, name = line.partition(" ")
            if name:
                refs[name] = oid
        return refs

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
        return self._catfile.read(oids, deadline or self.deadline)

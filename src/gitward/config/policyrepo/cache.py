"""One copy of the policy repository's tree per commit, made once and then only read.

`materialise` writes the files of a commit's tree into `<trees>/<commit id>/`: into a temporary
directory first, renamed into place when complete, so a reader finds the whole tree or none
(two pushes racing to make it both succeed; one rename wins). The directory's name is the
commit id and nothing changes it afterwards, so the ordinary directory loader reads the policy
from it on every push without asking git again.

Only regular files and directories are copied. A symbolic link could lead the loader out of
the repository (to a signers directory anybody can edit), a submodule has no content here,
and a name such as `..` or `.git` in a hostile tree could write outside the copy: any of them
refuses the commit. So does a name a tree holds twice (git makes no such tree, but a push can
bring one when `receive.fsckObjects` is off): git shows the first (`git show`, a checkout, a
review's diff), a copy would hold both, and a signer nobody saw in review would be read. So do
more than `MAX_FILES` files or `MAX_BYTES` bytes (a policy repository holds a few YAML files and
public keys).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gitward.config.policyrepo import gitread
from gitward.errors import ConfigError, GitError

MAX_FILES = 5000
MAX_BYTES = 32 * 2**20
_FILE_MODES = {"100644": 0o644, "100755": 0o755}
_TREE_MODE = "040000"


class Entry(NamedTuple):
    """One file of a tree (`git ls-tree -r -l`)."""

    mode: str
    kind: str
    oid: str
    size: int
    path: bytes


def materialise(
    repository: Path, commit: str, trees: Path, objects: Mapping[str, str] | None = None
) -> Path:
    """The directory holding `commit`'s tree, made if missing. ConfigError when the tree
    cannot be copied safely; GitError when git cannot read it. `objects`: see
    `gitread.environment`."""
    final = trees / commit
    if final.is_dir():
        return final
    # Imported here: a push whose policy commit is already copied never needs them.
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    _commit_of(repository, commit, objects)
    listed = _tree_entries(repository, commit, objects)
    problems = _problems(listed, commit)
    if problems:
        raise ConfigError(problems)
    entries = [e for e in listed if e.kind == "blob"]  # directories: made for their files
    blobs = _read_blobs(repository, [e.oid for e in entries], objects)
    mkdirs(trees)
    work = Path(tempfile.mkdtemp(prefix=f".{commit}.", dir=trees))
    try:
        for entry, data in zip(entries, blobs, strict=True):
            target = work / os.fsdecode(entry.path)
            mkdirs(target.parent)
            target.write_bytes(data)
            target.chmod(_FILE_MODES[entry.mode])
        work.chmod(0o755)
        try:
            work.rename(final)
        except OSError:
            if not final.is_dir():  # not a racing copy that won: a real failure
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)  # left only when the rename did not happen
    return final


def mkdirs(path: Path) -> None:
    """`path` and its missing parents, writable by this account only whatever the umask:
    under a group-writable one (002), anyone in the group could edit the copy in use (a signer
    added with no push) or the record of the last commit used (the "no step back")."""
    missing = []
    while not path.is_dir() and path != path.parent:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o755, exist_ok=True)  # the umask only takes bits away


def _problems(entries: list[Entry], commit: str) -> list[str]:
    where = f"policy commit {commit}"
    if sum(e.kind == "blob" for e in entries) > MAX_FILES:
        return [f"{where}: more than {MAX_FILES} files; a policy repository holds a few"]
    if sum(max(e.size, 0) for e in entries) > MAX_BYTES:
        return [f"{where}: more than {MAX_BYTES} bytes; a policy repository holds a few files"]
    out, seen = [], set()
    for e in entries:
        name = e.path.decode("utf-8", "backslashreplace")
        parts = e.path.split(b"/")
        if e.path in seen:
            out.append(f"{where}: {name!r} appears twice in its tree; git shows only the first")
            continue
        seen.add(e.path)
        directory = e.kind == "tree" and e.mode == _TREE_MODE  # its files are listed after it
        if not directory and (e.kind != "blob" or e.mode not in _FILE_MODES):
            what = "a symbolic link" if e.mode == "120000" else f"a {e.kind} (mode {e.mode})"
            out.append(f"{where}: {name} is {what}; only files and directories are read")
        elif any(p in (b"", b".", b"..", b".git") or b"\0" in p for p in parts):
            out.append(f"{where}: {name!r} is not a file name gitward copies")
    return out


def _commit_of(repository: Path, oid: str, objects: Mapping[str, str] | None) -> str:
    """`oid` itself when it is a commit; GitError otherwise."""
    proc = gitread.run(repository, ["cat-file", "-t", oid], ok=(0, 128), objects=objects)
    kind = proc.stdout.decode("ascii", "replace").strip()
    if kind != "commit":
        raise GitError(f"{oid} in {repository} is not a commit ({kind or 'missing'})")
    return oid


def _tree_entries(repository: Path, commit: str, objects: Mapping[str, str] | None) -> list[Entry]:
    """Every file and directory of `commit`'s tree, with its size (`git ls-tree -r -t -z -l
    --full-tree`: directories too, so that one named twice is seen)."""
    args = ["ls-tree", "-r", "-t", "-z", "-l", "--full-tree", commit]
    out = gitread.run(repository, args, objects=objects).stdout
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        head, tab, path = record.partition(b"\t")
        fields = head.decode("ascii", "replace").split()
        if not tab or len(fields) != 4:
            raise GitError(f"git ls-tree printed an odd line: {record[:100]!r}")
        mode, kind, oid, size = fields
        entries.append(Entry(mode, kind, oid, int(size) if size.isdigit() else -1, path))
    return entries


def _read_blobs(
    repository: Path, oids: Sequence[str], objects: Mapping[str, str] | None = None
) -> list[bytes]:
    """The content of each blob, in order (`git cat-file --batch`); GitError if one is
    missing or not a blob."""
    if not oids:
        return []
    request = "".join(f"{o}\n" for o in oids).encode()
    data = gitread.run(repository, ["cat-file", "--batch"], input=request, objects=objects)
    out, at = [], 0
    raw = data.stdout
    for oid in oids:
        end = raw.find(b"\n", at)
        header = raw[at:end].decode("ascii", "replace").split() if end >= 0 else []
        if len(header) != 3 or header[0] != oid or header[1] != "blob":
            raise GitError(f"cannot read blob {oid} from {repository}: {' '.join(header[1:])}")
        size = int(header[2])
        out.append(raw[end + 1 : end + 1 + size])
        at = end + 1 + size + 1  # the content, then a newline
    return out

"""Build real git repositories quickly for tests (and benchmarks).

Everything runs git with `GIT_CONFIG_GLOBAL=/dev/null` and `GIT_CONFIG_NOSYSTEM=1`, so a
developer's own configuration (signing, hooks, default branch) never leaks in. Commits are made
without a work tree (`commit-tree`, or raw objects written directly), which is much faster than
`git commit` and lets a test hand-craft objects git itself would never write.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

AUTHOR = "Alice Example <alice@example.com>"
# A fixed date keeps object ids stable between runs.
DATE = "1767225600 +0000"  # 2026-01-01T00:00:00Z


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for any test git process: no user or system configuration, and no
    inherited GIT_* variable (a test run from inside a git hook must not reach the outer
    repository)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    env.update(extra or {})
    return env


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """`clean_env` with a fixed author, committer and date (stable object ids)."""
    env = clean_env()
    env.update(
        GIT_AUTHOR_NAME="Alice Example",
        GIT_AUTHOR_EMAIL="alice@example.com",
        GIT_COMMITTER_NAME="Alice Example",
        GIT_COMMITTER_EMAIL="alice@example.com",
        GIT_AUTHOR_DATE=DATE,
        GIT_COMMITTER_DATE=DATE,
    )
    env.update(extra or {})
    return env


def git(
    cwd: Path, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
) -> str:
    """Run git in `cwd`; return stdout (stripped). Raises CalledProcessError on failure."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=input, capture_output=True, env=git_env(env), check=False
    )
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(
            proc.returncode, ["git", *args], proc.stdout, proc.stderr
        )
    return proc.stdout.decode().strip()


def tmpdir(prefix: str = "gw-") -> Path:
    """A short directory under /tmp (gpg-agent sockets break on long paths), removed when
    the test process exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def init(path: Path, *, bare: bool = True, object_format: str = "sha1") -> Path:
    """A new repository at `path` with `main` as its default branch."""
    args = ["init", "-q", "-b", "main", f"--object-format={object_format}"]
    git(path.parent, *args, *(["--bare"] if bare else []), str(path))
    return path


def empty_tree(repo: Path) -> str:
    return git(repo, "hash-object", "-t", "tree", "-w", "--stdin", input=b"")


def commit(
    repo: Path,
    message: str = "change",
    parents: Sequence[str] = (),
    *,
    tree: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """A commit (unsigned) made with `git commit-tree`; returns its id."""
    args = ["commit-tree", tree or empty_tree(repo)]
    for p in parents:
        args += ["-p", p]
    return git(repo, *args, input=message.encode(), env=env)


def chain(repo: Path, count: int, parent: str | None = None, prefix: str = "c") -> list[str]:
    """`count` commits (empty tree, messages `<prefix> <i>`) on top of each other, oldest
    first, made in one `git fast-import` run and left without a ref."""
    stream: list[bytes] = []
    for i in range(count):
        message = f"{prefix} {i}\n".encode()
        stream += [b"commit refs/gw-chain", b"mark :%d" % (i + 1)]
        stream += [f"author {AUTHOR} {DATE}".encode(), f"committer {AUTHOR} {DATE}".encode()]
        stream += [b"data %d" % len(message), message]
        if i == 0 and parent:
            stream.append(f"from {parent}".encode())
    marks = tmpdir("gw-marks-") / "marks"
    git(repo, "fast-import", "--quiet", f"--export-marks={marks}", input=b"\n".join(stream))
    git(repo, "update-ref", "-d", "refs/gw-chain")
    by_mark = dict(line.split()[:2] for line in marks.read_text().splitlines())
    shutil.rmtree(marks.parent)
    return [by_mark[f":{i + 1}"] for i in range(count)]


def set_ref(repo: Path, ref: str, oid: str) -> None:
    git(repo, "update-ref", ref, oid)


def raw_commit(
    tree: str,
    parents: Iterable[str] = (),
    message: bytes = b"change\n",
    *,
    author: bytes = AUTHOR.encode(),
    committer: bytes = AUTHOR.encode(),
    extra: Iterable[tuple[bytes, bytes]] = (),
) -> bytes:
    """Commit object bytes; `extra` headers go after `committer` (multi-line values get
    git's one-space continuation)."""
    lines = [b"tree " + tree.encode()]
    lines += [b"parent " + p.encode() for p in parents]
    lines += [b"author " + author + b" " + DATE.encode()]
    lines += [b"committer " + committer + b" " + DATE.encode()]
    for key, value in extra:
        lines.append(key + b" " + value.rstrip(b"\n").replace(b"\n", b"\n "))
    return b"\n".join(lines) + b"\n\n" + message


def write_object(repo: Path, kind: str, data: bytes) -> str:
    """Write any object, even one git would refuse to create (`--literally`)."""
    return git(repo, "hash-object", "--literally", "-w", "-t", kind, "--stdin", input=data)


def write_loose(objects_dir: Path, kind: str, data: bytes, object_format: str = "sha1") -> str:
    """Write a loose object straight into `objects_dir`: fast enough for 10,000 commits."""
    full = f"{kind} {len(data)}\0".encode() + data
    oid = hashlib.new(object_format, full).hexdigest()
    path = objects_dir / oid[:2] / oid[2:]
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(zlib.compress(full, 1))
    return oid


def signed_commit_object(
    tree: str,
    parents: Iterable[str],
    message: bytes,
    signature: bytes,
    object_format: str = "sha1",
) -> bytes:
    """Commit bytes carrying `signature` in the header git uses for `object_format`."""
    header = b"gpgsig" if object_format == "sha1" else b"gpgsig-sha256"
    return raw_commit(tree, parents, message, extra=[(header, signature)])

"""Write signed commit chains straight into a repository's object store.

Spawning `git commit -S` 10,000 times would take minutes; the benchmark only needs the objects,
so it writes loose objects itself (zlib + SHA-1, git's documented loose format) and signs git's
exact payload in-process.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

Sign = Callable[[bytes], bytes]


def write_object(git_dir: Path, kind: str, body: bytes) -> str:
    raw = f"{kind} {len(body)}\0".encode() + body
    oid = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    path = git_dir / "objects" / oid[:2] / oid[2:]
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(zlib.compress(raw, 1))
    return oid


def with_signature(payload: bytes, signature: bytes) -> bytes:
    """Insert `gpgsig` after the last header line, as git's add_header_signature() does."""
    head, sep, message = payload.partition(b"\n\n")
    lines = signature.rstrip(b"\n").split(b"\n")
    header = b"gpgsig " + lines[0] + b"".join(b"\n " + line for line in lines[1:])
    return head + b"\n" + header + sep + message


def commit_chain(
    git_dir: Path, count: int, sign: Sign, *, parent: str | None = None, start: int = 0
) -> Iterator[str]:
    """Yield the ids of `count` signed commits, each the child of the previous one."""
    write_object(git_dir, "tree", b"")
    ident = b"Alice Example <alice@example.com>"
    for i in range(start, start + count):
        when = b"%d +0000" % (1_760_000_000 + i)
        payload = b"tree " + EMPTY_TREE.encode() + b"\n"
        if parent:
            payload += b"parent " + parent.encode() + b"\n"
        payload += b"author " + ident + b" " + when + b"\n"
        payload += b"committer " + ident + b" " + when + b"\n"
        payload += b"\nJIRA-%d: change number %d\n" % (i + 1, i + 1)
        parent = write_object(git_dir, "commit", with_signature(payload, sign(payload)))
        yield parent


def file_commit_chain(
    git_dir: Path, count: int, sign: Sign, directory: str = "deploy"
) -> Iterator[str]:
    """Like `commit_chain`, but each commit changes a file (`<directory>/app.yaml`, in a tree
    beside a README), so content rules have a blob to read and scan in every push."""
    readme = write_object(git_dir, "blob", b"# app\n\nDeployed by the GitOps controller.\n")
    parent = None
    ident = b"Alice Example <alice@example.com>"
    for i in range(count):
        config = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n"
        config += b'  replicas: "%d"\n  api_url: https://api.example.org/v%d\n' % (i, i)
        blob = write_object(git_dir, "blob", config)
        deploy = write_object(git_dir, "tree", b"100644 app.yaml\0" + bytes.fromhex(blob))
        tree = write_object(
            git_dir,
            "tree",
            b"100644 README.md\0"
            + bytes.fromhex(readme)
            + b"40000 "
            + directory.encode()
            + b"\0"
            + bytes.fromhex(deploy),
        )
        when = b"%d +0000" % (1_760_000_000 + i)
        payload = b"tree " + tree.encode() + b"\n"
        if parent:
            payload += b"parent " + parent.encode() + b"\n"
        payload += b"author " + ident + b" " + when + b"\n"
        payload += b"committer " + ident + b" " + when + b"\n"
        payload += b"\nJIRA-%d: scale the app to %d\n" % (i + 1, i)
        parent = write_object(git_dir, "commit", with_signature(payload, sign(payload)))
        yield parent

"""Pushes with content, as literal values for the pure engine (no git): each commit is a dict
of the files it adds or changes, and the facts are what `facts.content` would gather.

    push = content_push(policy, [{"app.py": b"print(1)\n"}, {"big.bin": b"\0" * 10}])
    verdict = evaluate(policy, Signers(), push)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from gitward.model import (
    SYMLINK_MODE,
    Blob,
    Commit,
    FileChange,
    Person,
    Push,
    Pusher,
    RefFacts,
    RefUpdate,
    SignatureCheck,
    TipFile,
)
from gitward.policy.spec import Policy

ZERO = "0" * 40
ALICE = Person("Alice", "alice@example.com", 1767225600)
# A file's content, or (mode, content) for a symbolic link or an executable.
Content = bytes | tuple[str, bytes]


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def commit_id(n: int) -> str:
    return f"{n + 1:040x}"


def _blob(data: bytes, limit: int) -> Blob:
    oid = blob_id(data)
    if len(data) > limit:
        return Blob(oid, len(data), None, f"larger than {limit} bytes")
    if b"\0" in data[:8000]:
        return Blob(oid, len(data), None, "binary")
    return Blob(oid, len(data), data)


def content_push(
    policy: Policy,
    commits: Sequence[Mapping[str, Content]],
    *,
    ref: str = "refs/heads/main",
    pusher: str | None = "alice",
    options: tuple[str, ...] = (),
    tip: Mapping[str, Content] | None = None,
    limit: int = 2**20,
) -> Push:
    """A push creating `ref` at the last of `commits` (a chain, oldest first); every rule
    matching `ref` checks every commit. `tip`: the tip's tree (default: every file pushed)."""
    made, changes, blobs = [], {}, {}
    for n, files in enumerate(commits):
        oid = commit_id(n)
        parents = (commit_id(n - 1),) if n else ()
        made.append(Commit(oid, parents, ALICE, ALICE, f"change {n}\n", SignatureCheck.unsigned()))
        entries = []
        for path, value in files.items():
            mode, data = value if isinstance(value, tuple) else ("100644", value)
            blob = _blob(data, 4096 if mode == SYMLINK_MODE else limit)
            blobs[blob.oid] = blob
            entries.append(FileChange(path, blob.oid, mode))
        changes[oid] = tuple(entries)
    newest_first = tuple(c.oid for c in reversed(made))
    if tip is None:
        tip = {p: v for files in commits for p, v in files.items()}
    tree = {}
    for path, value in tip.items():
        mode, data = value if isinstance(value, tuple) else ("100644", value)
        tree[path] = TipFile(path, blob_id(data), mode)
    update = RefUpdate(ZERO, made[-1].oid, ref)
    by_rule = {r.id: newest_first for r in policy.rules_for(ref)}
    facts = RefFacts(update, None, by_rule, tip_files=tree)
    return Push(
        "repo",
        Pusher(pusher, "local"),
        datetime(2026, 3, 1, tzinfo=UTC),
        (facts,),
        {c.oid: c for c in made},
        options,
        changes=changes,
        blobs=blobs,
    )

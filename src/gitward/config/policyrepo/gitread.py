"""The few reads gitward makes in the policy repository, with an environment of its own.

The hook runs inside another repository's push: git gave it `GIT_DIR`, the quarantine's
`GIT_OBJECT_DIRECTORY` and `GIT_ALTERNATE_OBJECT_DIRECTORIES`, maybe `GIT_NAMESPACE`. Any of
them would point a git command at the pushed repository's objects or refs instead of the
policy's (when the push goes to the policy repository itself, at the objects being judged), so
every `GIT_*` variable is dropped but those that only choose configuration files
(githooks(5), "pre-receive"; git(1), "ENVIRONMENT VARIABLES").

Nothing here writes to the repository.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from gitward.errors import GitError
from gitward.model import is_hex_oid

# Bounds a run outside the hook (the CLI, the receiver); the hook's own budget bounds it there.
TIMEOUT = 30.0
_KEEP = frozenset(
    {"GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_EXEC_PATH"}
)


def environment(repository: Path, objects: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without its `GIT_*` variables, pointed at `repository`.
    `objects`: the quarantine variables of a push to `repository` itself, to read what it
    brings (`incoming`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEEP}
    env.update(GIT_DIR=str(repository), GIT_NO_REPLACE_OBJECTS="1", GIT_OPTIONAL_LOCKS="0")
    env.update(objects or {})
    return env


def run(
    repository: Path,
    args: Sequence[str],
    *,
    input: bytes | None = None,
    ok: tuple[int, ...] = (0,),
    objects: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """`git ARGS` in `repository`; GitError (one line) unless the exit code is in `ok`."""
    try:
        proc = subprocess.run(
            ["git", *args],
            env=environment(repository, objects),
            input=input,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git {args[0]} in {repository}: {exc}") from None
    if proc.returncode not in ok:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        raise GitError(f"git {args[0]} failed in {repository}: {lines[-1][:300]}")
    return proc


def ref_commit(repository: Path, ref: str) -> str:
    """The object `ref` names now. Read from the ref files when they hold it plainly (the
    "files" ref backend: a loose ref, else `packed-refs`, gitrepository-layout(5)), which costs
    no `git` run on a push; anything else (a symbolic ref, another backend, no such ref) asks
    `git rev-parse`. GitError when the ref does not exist."""
    found = _from_files(repository, ref)
    if found is not None:
        return found
    proc = run(repository, ["rev-parse", "--verify", "--quiet", ref], ok=(0, 1))
    oid = proc.stdout.decode("ascii", "replace").strip()
    if proc.returncode != 0 or not is_hex_oid(oid):
        raise GitError(f"{ref} does not exist in {repository}")
    return oid


def _from_files(repository: Path, ref: str) -> str | None:
    try:
        text = (repository / ref).read_bytes().decode("ascii", "replace").strip()
    except (FileNotFoundError, NotADirectoryError):
        text = None  # not loose: packed, or refs are not files here
    except OSError:
        return None
    if text is not None:
        return text if is_hex_oid(text) else None  # "ref: ..." is symbolic: git follows it
    try:
        packed = (repository / "packed-refs").read_bytes()
    except OSError:
        return None
    wanted = ref.encode("utf-8", "surrogateescape")
    for line in packed.splitlines():
        oid, _, name = line.partition(b" ")
        if name == wanted:
            text = oid.decode("ascii", "replace")
            return text if is_hex_oid(text) else None
    return None


def descends(
    repository: Path, old: str, new: str, objects: Mapping[str, str] | None = None
) -> bool:
    """True when commit `new` is `old` or has it in its history. False also when either is
    not in the repository: what cannot be shown to descend does not."""
    if old == new:
        return True
    args = ["merge-base", "--is-ancestor", old, new]
    proc = run(repository, args, ok=(0, 1, 128), objects=objects)
    return proc.returncode == 0

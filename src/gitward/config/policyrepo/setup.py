"""`gitward install --config-repo`: point a config directory at a policy repository.

Checked before anything is written: the repository is a bare repository on this server, the
ref names a commit, the policy at that commit loads whole, and it is not a step back from the
policy commit last used. Then `policy-repo.yaml` is written (atomically) and the commit is
recorded as the one last used, so protection against rollbacks starts at once.

Supported: a path (or `file://` URL) of a bare repository on this server. Another URL is
refused with what to do instead: the hook reads the policy on every push, which a network
fetch could not do within its budget, and a local mirror fetched from elsewhere would move
without this server's hook judging the change.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitward import config
from gitward.config.policyrepo import gitread, locate, pointer
from gitward.config.policyrepo.pointer import Pointer
from gitward.errors import GitError, GitwardError

# scp-like `host:path` (git-clone(1), "GIT URLS"): a colon before any slash.
_SCP_LIKE = re.compile(r"^[^/]*:")


def full_ref(ref: str) -> str:
    """`main` -> `refs/heads/main`; a full name is kept."""
    return ref if ref.startswith("refs/") else f"refs/heads/{ref}"


def bare_repository(where: str) -> Path:
    """The absolute path of the bare repository `where` names (a path or a file:// URL)."""
    path = where.removeprefix("file://")
    if path == where and ("://" in where or _SCP_LIKE.match(where)):
        raise GitwardError(
            f"{where}: the policy repository must be a bare repository on this server (a path); "
            "host it here, guarded by gitward, and give its path"
        )
    if (Path(path) / ".git").exists():
        raise GitwardError(f"{path}: not a bare git repository (it has a work tree)")
    try:
        out = gitread.run(Path(path), ["rev-parse", "--is-bare-repository", "--absolute-git-dir"])
    except GitError:
        raise GitwardError(f"{path}: not a git repository") from None
    bare, _, absolute = out.stdout.decode("utf-8", "surrogateescape").partition("\n")
    if bare.strip() != "true":  # a `.git` directory named directly
        raise GitwardError(f"{path}: not a bare git repository (it has a work tree)")
    return Path(absolute.strip())


def set_up(config_dir: Path, where: str, ref: str) -> tuple[Pointer, config.LoadedConfig, bool]:
    """Point `config_dir` at the policy in repository `where` on `ref`: (the pointer, the
    policy loaded from the ref's commit, whether `policy-repo.yaml` was written). Raises
    GitwardError (ConfigError listing every problem of the policy)."""
    if (config_dir / "policy.yaml").exists():
        raise GitwardError(
            f"{config_dir / 'policy.yaml'} exists: the policy would come from two places; "
            "move it into the policy repository (or away) first"
        )
    file = config_dir / config.POINTER
    repository, wanted = bare_repository(where), full_ref(ref)
    current = _current(file)
    same = current is not None and (current.repository, current.ref) == (repository, wanted)
    text = pointer.render(repository, wanted)
    src = current if current is not None and same else pointer.parse(text, file)
    loaded = config.load_located(locate.at_ref(src))
    if same:
        return src, loaded, False  # the same source: the file (and its other keys) stays
    from gitward.config.files import atomic_write  # noqa: PLC0415

    atomic_write(file, text.encode("utf-8"))
    return src, loaded, True


def _current(file: Path) -> Pointer | None:
    """The pointer already in place, if any and valid (an invalid one is replaced)."""
    try:
        return pointer.read(file) if file.exists() else None
    except GitwardError:
        return None

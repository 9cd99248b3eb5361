"""An admin page's signer edit, when the policy lives in a git repository: a signed commit.

The files under the state directory are copies of a commit and must never be edited in place
(the next commit would silently undo the edit, and nobody signed it). So an edit is made on a
scratch copy of the policy commit, committed on top of it, signed with the service's own key
(`edits` in `policy-repo.yaml`), and pushed to the policy's ref with `git push`: the
repository's hook judges it like any other push, so a rule such as `min_distinct_signers: 2`
holds the page's edit back just as it would hold back one admin's. Pushing to another ref (a
proposal branch that a second admin merges with a signed merge commit) is the way through it.

Without a service key, edits are refused with the way to do it by hand (`refusal`). The edit's
own audit records (`signers.add`, ...) go to the server's audit log once the push is accepted;
the push itself is logged by the repository's hook, with the new policy commit.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from gitward import config
from gitward.config.policyrepo import cache, gitread
from gitward.config.policyrepo.pointer import Pointer, ServiceKey
from gitward.errors import GitwardError, SignerEditError

PUSH_SECONDS = 60.0


class Committed(NamedTuple):
    """An accepted edit: the new commit on `ref`, on top of `parent`."""

    commit: str
    parent: str
    ref: str
    # Set when the edit's own audit records could not be copied to the server's audit log
    # (the commit is in regardless, and the repository's hook logged the push).
    warning: str | None = None


def refusal(src: Pointer) -> str:
    """Why an edit in place is refused, and how to make it."""
    return (
        f"the policy is read from the git repository {src.repository} ({src.ref}): clone it, "
        "edit the clone with `gitward signers ... --config CLONE`, commit with `git commit -S` "
        f"and push; for the admin page, set edits.signing_key in {src.file}"
    )


def commit_edit(
    src: Pointer,
    edit: Callable[[config.Located], object],
    *,
    actor: str,
    message: str,
    ref: str | None = None,
) -> Committed:
    """Run `edit` (e.g. `lambda located: signers.add.add(located, new, actor=actor)`) on a
    scratch copy of the policy commit, commit the result signed with the service's key and
    push it to `ref` (default: the policy's ref). Raises SignerEditError when refused: no
    service key (with `refusal`'s hint), the edit itself, nothing changed, or the push (the
    hook's report in the message); GitError or ConfigError when the policy commit cannot be
    read."""
    if src.edits is None:
        raise SignerEditError(refusal(src))
    target = ref or src.ref
    parent = gitread.ref_commit(src.repository, src.ref)
    with tempfile.TemporaryDirectory(prefix="gitward-edit-") as tmp:
        scratch = Path(tmp)
        work = cache.materialise(src.repository, parent, scratch / "copy")
        log = scratch / "edit-audit.jsonl"
        located = config.locate_file(work / "policy.yaml")
        settings = located.settings._replace(audit_log=str(log))
        edit(located._replace(audit_log=log, settings=settings))
        git_dir = _scratch_repository(scratch / "git", src.repository)
        tree = _tree(git_dir, scratch / "index", work, parent)
        if tree == _git(git_dir, "rev-parse", f"{parent}^{{tree}}"):
            raise SignerEditError("the edit changes nothing in the policy repository")
        body = f"{message.strip()}\n\nGitward-Actor: {actor}\n"
        commit = _signed_commit(git_dir, tree, parent, body, src.edits)
        _push(git_dir, src.repository, commit, target)
        warning = _log_edit(src, log)
    return Committed(commit, parent, target, warning)


def _scratch_repository(git_dir: Path, repository: Path) -> Path:
    """A bare repository borrowing `repository`'s objects (nothing is written there but
    through the push)."""
    gitread.run(git_dir, ["init", "--quiet", "--bare", str(git_dir)])
    objects = (repository / "objects").absolute()
    (git_dir / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
    return git_dir


def _git(git_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return _run(git_dir, list(args), env).stdout.decode("utf-8", "replace").strip()


def _run(
    git_dir: Path, args: list[str], env: dict[str, str] | None = None, *, timeout: float = 30.0
) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(
            ["git", *args],
            env={**gitread.environment(git_dir), **(env or {})},
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:  # a hook or a signing agent that hangs: one line
        raise SignerEditError(f"git {args[0]} took longer than {timeout:g} s") from None
    if proc.returncode != 0:
        text = proc.stderr.decode("utf-8", "replace").strip() or "no message"
        raise SignerEditError(f"git {args[0]} failed: {text[-2000:]}")
    return proc


def _tree(git_dir: Path, index: Path, work: Path, parent: str) -> str:
    """The tree of `work` as git would commit it; the edit lock files are left out."""
    env = {"GIT_INDEX_FILE": str(index), "GIT_WORK_TREE": str(work)}
    _git(git_dir, "read-tree", parent, env=env)
    # core.fileMode: the copy's modes are the commit's; `.lock`: files.edit_lock's, not policy
    _git(git_dir, "-c", "core.fileMode=false", "add", "--all", "--", ".",
         ":(exclude,glob)**/.lock", env=env)  # fmt: skip
    return _git(git_dir, "write-tree", env=env)


def _signed_commit(git_dir: Path, tree: str, parent: str, body: str, key: ServiceKey) -> str:
    signing = ["-c", f"gpg.format={key.format}", "-c", f"user.signingkey={key.signing_key}"]
    who = {"GIT_AUTHOR_NAME": key.name, "GIT_AUTHOR_EMAIL": key.email}
    who |= {"GIT_COMMITTER_NAME": key.name, "GIT_COMMITTER_EMAIL": key.email}
    args = [*signing, "commit-tree", "-S", tree, "-p", parent, "-m", body]
    return _git(git_dir, *args, env=who)


def _push(git_dir: Path, repository: Path, commit: str, ref: str) -> None:
    """`git push` (not forced: a ref moved meanwhile is refused by git itself)."""
    url = f"file://{repository.absolute()}"
    try:
        _run(git_dir, ["push", "--porcelain", url, f"{commit}:{ref}"], timeout=PUSH_SECONDS)
    except SignerEditError as exc:
        lines = [ln.removeprefix("remote: ").rstrip() for ln in str(exc).splitlines()]
        said = [ln for ln in lines if ln.startswith("gitward:")] or lines[-3:]
        raise SignerEditError(f"{ref} refused the edit:\n" + "\n".join(said)) from None


def _log_edit(src: Pointer, log: Path) -> str | None:
    """Copy the edit's audit records to the server's audit log; what went wrong, if anything
    (too late to undo: the commit is in)."""
    from gitward.audit import log as audit  # noqa: PLC0415

    try:
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        server = config.locate(src.file).audit_log
        for record in records:
            audit.append(server, record)
    except (OSError, ValueError, GitwardError) as exc:
        return f"the edit's audit records were not written: {exc}"
    return None

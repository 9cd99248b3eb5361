"""`config.locate` for a policy that lives in a git repository (`policy-repo.yaml`).

The steps, each failing closed with one line that names the pointer file:
1. read the pointer; the commit its ref names now (`gitread.ref_commit`: a file read);
2. refuse that commit unless it is, or descends from, the policy commit last used
   (`state`): `PolicyRollback`, which also tells the hook where that policy's audit log is;
3. copy its tree once (`cache`) and read the policy from the copy with the directory loader;
4. re-base its paths: a relative `audit_log` starts at the config directory, the server's (the
   copy is named after a commit), and `signers_dir` must lie inside the repository: signers
   from anywhere else would not be guarded by the repository's rules.

`config.load_located` calls `remember` once the policy loaded whole, which records the commit as
the one last used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from gitward import config
from gitward.config.policyrepo import gitread, state
from gitward.config.policyrepo.pointer import Pointer, read
from gitward.errors import ConfigError, GitError, GitwardError, PolicyRollback

TREES = "trees"  # under the state directory: one copy per policy commit


class PolicyCommit(NamedTuple):
    """Where a located policy came from."""

    commit: str
    previous: str | None  # the commit last used when this run started (None: first use)
    pointer: Pointer


def locate(pointer_file: Path, asked: Path) -> config.Located:
    """The policy of the pointer `pointer_file`, at the commit its ref names now. `asked`:
    the policy path the caller gave (a `policy.yaml` there too is ambiguous: refused)."""
    if asked != pointer_file and asked.exists():
        raise ConfigError(
            [f"{asked}:1: {pointer_file.name} beside it says the policy comes from a git "
             f"repository: keep one of the two"]
        )  # fmt: skip
    return at_ref(read(pointer_file))


def at_ref(src: Pointer) -> config.Located:
    """The policy at the commit `src.ref` names now, unless that is a step back."""
    try:
        # The record first: it only names commits the ref named before, so a ref read after it
        # descends from it unless the ref went back. Read the other way round, a run whose
        # ref read came just before another run recorded a newer policy saw a "rollback".
        last = state.read(src.state_dir)
        commit = gitread.ref_commit(src.repository, src.ref)
        if last is not None and not gitread.descends(src.repository, last, commit):
            raise PolicyRollback([_rollback(src, last, commit)], _audit_log_of(src, last))
        return at_commit(src, commit, last)
    except GitError as exc:
        raise ConfigError([f"{src.file}:1: {exc}"]) from None


def at_commit(src: Pointer, commit: str, previous: str | None) -> config.Located:
    """The policy of `commit` in `src`'s repository, with its paths re-based. Raises
    ConfigError or GitError."""
    tree = Path(os.path.normpath(src.state_dir / TREES / commit))
    if not tree.is_dir():  # copied once per commit; only then is `cache` needed
        from gitward.config.policyrepo import cache  # noqa: PLC0415

        cache.materialise(src.repository, commit, tree.parent)
    located = rebased(config.locate_file(tree / "policy.yaml"), src, tree)
    return located._replace(from_repo=PolicyCommit(commit, previous, src))


def remember(found: PolicyCommit) -> None:
    """Record `found.commit` as the policy commit last used (when it changed)."""
    if found.previous != found.commit:
        src = found.pointer
        try:
            state.advance(src.state_dir, src.repository, found.previous, found.commit)
        except OSError as exc:
            raise ConfigError([f"{src.state_dir}: cannot record the policy commit: {exc}"]) from exc
        except GitError as exc:
            raise ConfigError([f"{src.file}:1: {exc}"]) from None


def rebased(located: config.Located, src: Pointer, tree: Path) -> config.Located:
    """`located`, read from the copy `tree`, with its paths as the module docstring says."""
    raw = located.source.value
    settings = raw.get("settings") if isinstance(raw, dict) else None
    settings = settings if located.settings_ok and isinstance(settings, dict) else {}
    given = settings.get("audit_log")
    audit = (src.config_dir / (given or "audit.jsonl")).absolute()
    signers = Path(os.path.normpath(located.settings.signers_dir))
    problems = located.problems
    if signers != tree and tree not in signers.parents:
        what = "expected a directory inside the policy repository"
        got = settings.get("signers_dir")
        where = ("settings", "signers_dir")
        problems += (located.source.problem(located.path, where, f"{what}, got {got!r}"),)
    return located._replace(
        settings=located.settings._replace(audit_log=str(audit), signers_dir=str(signers)),
        signers_dir=signers,
        audit_log=audit,
        problems=problems,
        document=None if problems else located.document,
    )


def _rollback(src: Pointer, last: str, commit: str) -> str:
    return (
        f"{src.file}:1: {src.ref} of {src.repository} names {commit}, which does not descend "
        f"from {last}, the policy commit last used: refusing to go back to an older policy "
        f"(to start over from it on purpose, remove {src.state_dir / state.FILE})"
    )


def _audit_log_of(src: Pointer, last: str) -> Path:
    """Where the policy commit last used writes its audit log (its copy is usually there
    still); the default place when even that cannot be read."""
    try:
        return at_commit(src, last, last).audit_log
    except (GitwardError, OSError):
        return (src.config_dir / "audit.jsonl").absolute()

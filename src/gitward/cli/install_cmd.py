"""`gitward install` / `gitward uninstall`: put the pre-receive shim into bare repositories.

Plain repositories get `hooks/pre-receive`. Gitea/Forgejo regenerate `hooks/pre-receive`
themselves (it runs every executable in `hooks/pre-receive.d/`), so `--gitea ROOT` writes
`ROOT/<owner>/<repo>.git/hooks/pre-receive.d/gitward` instead; re-running it changes nothing
("unchanged"), so it is safe from cron to cover repositories created later.

The shim bakes in the absolute path of the `gitward` executable and the policy path (as
GITWARD_CONFIG; a baked path wins over the pusher's environment), and carries `MARKER`, the line
by which uninstall and doctor recognise our files. Foreign hooks are never overwritten silently:
an existing `hooks/pre-receive` that is not ours makes install fail unless `--force`, which
moves it aside to `pre-receive.gitward-saved` (restored by uninstall). gitward does not chain
hooks; to run several, use a runner like Gitea's `pre-receive.d`.

Install also sets `receive.advertisePushOptions=true` in the repository, so that
`git push -o gitward.reason=...` (bypass) is accepted; uninstall leaves that setting alone.

Repositories are opened with GitPython (imported lazily: `gitward --help` and the hook never pay
for it). Each one is handled on its own: a directory that is not a bare git repository (a work
tree under the Gitea root, a stray folder) is skipped with one warning line, a repository that
cannot be installed into is reported as FAILED, and the rest are still handled; the exit code is
1 when anything was skipped or failed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitward.errors import GitwardError

if TYPE_CHECKING:
    import git

HELP = "install (or uninstall) the gitward pre-receive hook in bare repositories"
MARKER = "# gitward-managed: `gitward install` writes this file, `gitward uninstall` removes it"
SAVED = "pre-receive.gitward-saved"
_CONFIG_LINE = re.compile(r"^GITWARD_CONFIG=(.*)$", re.M)
_EXEC_LINE = re.compile(r"^exec (.*) hook pre-receive\b", re.M)
EPILOG = (
    "Each repository is handled on its own. One that is not a bare git repository is skipped "
    "with a warning, one that cannot be changed is reported as FAILED, and the others are still "
    "handled. Exit status: 0 when every repository was handled, 1 when any was skipped or "
    "failed."
)


class Shim(NamedTuple):
    """What an installed shim runs: the gitward command and the baked policy path (if any)."""

    command: str
    config: str | None


def render_shim(command: str, config: str | None) -> str:
    """The shim's text. `command`: the gitward executable; `config`: policy path or None."""
    lines = [
        "#!/bin/sh",
        MARKER,
        "# Hands the push (ref updates on stdin) to gitward, which judges it against the policy.",
    ]
    if config is None:
        lines.append(': "${GITWARD_CONFIG:=/etc/gitward/policy.yaml}"')
    else:
        lines.append(f"GITWARD_CONFIG={shlex.quote(config)}")
    lines += ["export GITWARD_CONFIG", f"exec {shlex.quote(command)} hook pre-receive", ""]
    return "\n".join(lines)


def parse_shim(text: str) -> Shim | None:
    """The command and policy of a shim written by `render_shim`; None for a foreign file."""
    if MARKER not in text.splitlines():
        return None
    cmd = _EXEC_LINE.search(text)
    cfg = _CONFIG_LINE.search(text)
    if cmd is None:
        return None
    config = shlex.split(cfg.group(1))[0] if cfg else None
    return Shim(shlex.split(cmd.group(1))[0], config)


def gitward_command() -> str:
    """The gitward executable of the running installation (next to this Python first)."""
    beside = Path(sys.executable).with_name("gitward")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("gitward")
    if found is None:
        raise GitwardError("cannot find the gitward executable; pass --gitward PATH")
    return str(Path(found).absolute())


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = EPILOG
    parser.add_argument("repos", nargs="*", metavar="REPO.git", help="bare repositories")
    parser.add_argument(
        "--gitea", metavar="ROOT", help="every ROOT/<owner>/<repo>.git (hooks/pre-receive.d)"
    )
    if name == "install":
        parser.add_argument("--config", help="policy file or directory to bake into the shim")
        parser.add_argument("--gitward", metavar="PATH", help="gitward executable to run")
        parser.add_argument(
            "--force", action="store_true", help="move a foreign hooks/pre-receive aside"
        )


def targets(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    """(repository, hook file) pairs named on the command line (not yet checked to be bare)."""
    pairs = [(Path(r), Path(r) / "hooks" / "pre-receive") for r in args.repos]
    if args.gitea:
        root = Path(args.gitea)
        if not root.is_dir():
            raise GitwardError(f"{root}: not a directory")
        repos = sorted(p for p in root.glob("*/*.git") if p.is_dir())
        pairs += [(r, r / "hooks" / "pre-receive.d" / "gitward") for r in repos]
    if not pairs:
        raise GitwardError("name at least one repository (REPO.git) or --gitea ROOT")
    return pairs


class NotBare(GitwardError):
    """The directory is not a bare git repository: skipped, not failed."""


def open_bare(path: Path) -> git.Repo:
    """The bare repository at `path` (GitPython); `NotBare` for anything else."""
    import git  # noqa: PLC0415  # GitPython: ~120 ms to import, only install pays for it

    try:
        repo = git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotBare("not a bare git repository (not a git repository at all)") from None
    if not repo.bare:
        repo.close()
        raise NotBare("not a bare git repository (it has a work tree)")
    return repo


def run(args: argparse.Namespace) -> int:
    """Handle every target; 1 when any was skipped or failed (the others still handled)."""
    pairs = targets(args)
    text = ""
    if args.command == "install":
        config = args.config or os.environ.get("GITWARD_CONFIG")
        text = render_shim(
            args.gitward or gitward_command(), str(Path(config).absolute()) if config else None
        )
    trouble = 0
    for path, hook in pairs:
        try:
            repo = open_bare(path)
        except NotBare as exc:
            print(f"{path}: SKIPPED: {exc}", file=sys.stderr)
            trouble += 1
            continue
        try:
            if args.command == "uninstall":
                state = uninstall_one(hook)
            else:
                state = install_one(repo, hook, text, force=args.force)
            print(f"{path}: {state}")
        except (GitwardError, OSError) as exc:  # e.g. hooks/ not writable: the next one may be
            print(f"{path}: FAILED: {exc}", file=sys.stderr)
            trouble += 1
        finally:
            repo.close()
    return 1 if trouble else 0


def install_one(repo: git.Repo, hook: Path, text: str, *, force: bool) -> str:
    """Write `text` to `hook` (mode 0755); returns "installed", "updated" or "unchanged"."""
    _enable_push_options(repo)
    state = "installed"
    if hook.exists():
        current = hook.read_text(encoding="utf-8", errors="replace")
        if parse_shim(current) is not None:
            if current == text and os.access(hook, os.X_OK):
                return "unchanged"
            state = "updated"
        elif not force:
            raise GitwardError(f"{hook} exists and is not gitward's; use --force to move it aside")
        else:
            hook.replace(hook.with_name(SAVED))
            state = f"installed (previous hook kept as {SAVED})"
    hook.parent.mkdir(parents=True, exist_ok=True)
    tmp = hook.with_name(hook.name + ".gitward-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o755)
    tmp.replace(hook)  # atomic: a push never runs half a shim
    return state


def uninstall_one(hook: Path) -> str:
    """Remove `hook` if it is gitward's; restore a hook moved aside by `install --force`."""
    if not hook.exists():
        return "not installed"
    if parse_shim(hook.read_text(encoding="utf-8", errors="replace")) is None:
        return "left alone (not gitward's hook)"
    hook.unlink()
    saved = hook.with_name(SAVED)
    if saved.exists():
        saved.replace(hook)
        return "removed (previous hook restored)"
    return "removed"


def _enable_push_options(repo: git.Repo) -> None:
    """Set `receive.advertisePushOptions=true` in the repository's own config (left untouched
    when already set, so a re-run from cron rewrites nothing)."""
    import configparser  # noqa: PLC0415  # GitPython's config errors; loaded with it anyway

    key = ("receive", "advertisePushOptions")
    try:
        with repo.config_reader("repository") as reader:
            if str(reader.get_value(*key, default="")).lower() == "true":
                return
        with repo.config_writer("repository") as writer:
            writer.set_value(*key, "true")
    except (OSError, configparser.Error, ValueError) as exc:  # unwritable, config.lock held...
        raise GitwardError(f"cannot set receive.advertisePushOptions: {exc}"[:300]) from exc

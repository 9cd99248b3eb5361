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

`--config-repo PATH --ref main` makes the policy come from a git repository: it checks that the
policy at that ref loads, writes `policy-repo.yaml` into the `--config` directory (default
/etc/gitward; `gitward.config.policyrepo.setup`), bakes that directory into the shim, and installs
the shim into the policy repository too, whose own pushes the hook then judges.

Install also sets `receive.advertisePushOptions=true` in the repository, so that
`git push -o gitward.reason=...` (bypass) is accepted; uninstall leaves that setting alone.

Repositories created later start unguarded unless something puts the hook there. `--template DIR`
keeps the same shim in a git template directory (`DIR/hooks/pre-receive.d/gitward` with
`--gitea`, else `DIR/hooks/pre-receive`, plus `receive.advertisePushOptions` in `DIR/config`);
with `init.templateDir = DIR` in the git configuration of the account that creates repositories,
every `git init` and `git clone` copies it into the new repository. Gitea runs git with
HOME = its `[git] HOME_PATH` and writes its `[git.config]` options there, and creates, forks and
migrates repositories with plain `git init --bare` / `git clone --bare|--mirror`, so those start
guarded (docs/deploy.md names the Gitea source files). What git does not create (adopted
directories, Forgejo's `git init --template=`) is covered by re-running this command from a
timer: `--quiet` prints only what changed or failed.

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
    from collections.abc import Callable

    import git

HELP = "install (or uninstall) the gitward pre-receive hook in bare repositories"
MARKER = "# gitward-managed: `gitward install` writes this file, `gitward uninstall` removes it"
SAVED = "pre-receive.gitward-saved"
# Lines a timer run (--quiet) leaves out: nothing was changed.
QUIET_STATES = frozenset({"unchanged", "not installed"})
_CONFIG_LINE = re.compile(r"^GITWARD_CONFIG=(.*)$", re.M)
_EXEC_LINE = re.compile(r"^exec (.*) hook pre-receive\b", re.M)
EPILOG = (
    "Each repository is handled on its own. One that is not a bare git repository is skipped "
    "with a warning, one that cannot be changed is reported as FAILED, and the others are still "
    "handled. Exit status: 0 when every repository was handled, 1 when any was skipped or "
    "failed. --template DIR also keeps the hook in a git template directory: point git's "
    "init.templateDir at DIR (for Gitea: [git.config] in app.ini) and repositories git creates "
    "start guarded."
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
        parser.add_argument(
            "--config-repo",
            metavar="PATH",
            help="read the policy from this bare repository on the server (guarded by the same "
            "hook): writes policy-repo.yaml into the --config directory",
        )
        parser.add_argument(
            "--ref", default="main", help="the policy repository's ref (default: main)"
        )
        parser.add_argument("--gitward", metavar="PATH", help="gitward executable to run")
        parser.add_argument(
            "--force", action="store_true", help="move a foreign hooks/pre-receive aside"
        )
    parser.add_argument(
        "--template",
        metavar="DIR",
        help="also the git template directory DIR (for init.templateDir): new repositories "
        "start guarded",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only what changed or failed (timers)"
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
    if not pairs and not args.template and not getattr(args, "config_repo", None):
        raise GitwardError("name at least one repository (REPO.git), --gitea ROOT or --template")
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
        if args.config_repo:
            config, repository = config_repo(args, config)
            pairs = _with_policy_repository(pairs, repository, args)
        text = render_shim(
            args.gitward or gitward_command(), str(Path(config).absolute()) if config else None
        )
    trouble = 0 if args.template is None else template(args, text)
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
            _report(args, f"{path}: {state}", state)
        except (GitwardError, OSError) as exc:  # e.g. hooks/ not writable: the next one may be
            print(f"{path}: FAILED: {exc}", file=sys.stderr)
            trouble += 1
        finally:
            repo.close()
    return 1 if trouble else 0


def config_repo(args: argparse.Namespace, config: str | None) -> tuple[str, Path]:
    """Point the config directory (`config`, else /etc/gitward) at `--config-repo`; the
    directory for the shim and the policy repository. Raises GitwardError (nothing written)
    when the repository or the policy at its ref is not usable."""
    from gitward.config import POINTER  # noqa: PLC0415
    from gitward.config.policyrepo.setup import set_up  # noqa: PLC0415

    directory = Path(config or "/etc/gitward").absolute()
    if directory.name == POINTER:
        directory = directory.parent
    elif directory.exists() and not directory.is_dir():
        raise GitwardError(f"{directory}: with --config-repo, --config names a directory")
    directory.mkdir(parents=True, exist_ok=True)
    src, loaded, written = set_up(directory, args.config_repo, args.ref)
    state = "written" if written else "unchanged"
    line = f"{src.file}: {state} (policy: {src.repository} {src.ref} at {loaded.policy_commit})"
    _report(args, line, state)
    return str(directory), src.repository


def _with_policy_repository(
    pairs: list[tuple[Path, Path]], repository: Path, args: argparse.Namespace
) -> list[tuple[Path, Path]]:
    """`pairs` plus the policy repository itself: its own hook guards the policy."""
    if any(r.resolve() == repository.resolve() for r, _ in pairs):
        return pairs
    hook = ("pre-receive.d", "gitward") if args.gitea else ("pre-receive",)
    return [*pairs, (repository, repository.joinpath("hooks", *hook))]


def _report(args: argparse.Namespace, line: str, state: str) -> None:
    if not (args.quiet and state in QUIET_STATES):
        print(line)


def template(args: argparse.Namespace, text: str) -> int:
    """Install (or uninstall) the shim in the git template directory `args.template`; the
    number of failures (0 or 1). A changed template prints where git must be told about it."""
    root = Path(args.template).absolute()
    relative = ("pre-receive.d", "gitward") if args.gitea else ("pre-receive",)
    hook = root.joinpath("hooks", *relative)
    try:
        if args.command == "uninstall":
            state = uninstall_one(hook)
        else:
            root.mkdir(parents=True, exist_ok=True)
            state = write_hook(hook, text, force=args.force)
            _template_push_options(root / "config")
    except (GitwardError, OSError) as exc:
        print(f"{root}: FAILED (git template): {exc}", file=sys.stderr)
        return 1
    _report(args, f"{root}: {state} (git template)", state)
    if args.command == "install" and state != "unchanged":
        where = (
            "Gitea: app.ini [git.config] init.templateDir"
            if args.gitea
            else "git config --global init.templateDir (as the account that creates them)"
        )
        print(f"  new repositories get the hook once git is told: {where} = {root}")
    return 0


def install_one(repo: git.Repo, hook: Path, text: str, *, force: bool) -> str:
    """Enable push options in `repo` and write its hook; see `write_hook`."""
    _enable_push_options(repo)
    return write_hook(hook, text, force=force)


def write_hook(hook: Path, text: str, *, force: bool) -> str:
    """Write `text` to `hook` (mode 0755); returns "installed", "updated" or "unchanged"."""
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
    """Set `receive.advertisePushOptions=true` in the repository's own config."""
    _set_push_options(lambda: repo.config_reader("repository"), repo.config_writer)


def _template_push_options(config: Path) -> None:
    """The same in a template's `config`, which `git init` copies as the new repository's first
    configuration (other keys in it are kept)."""
    import git  # noqa: PLC0415  # see open_bare

    _set_push_options(
        lambda: git.GitConfigParser(str(config), read_only=True),
        lambda: git.GitConfigParser(str(config), read_only=False),
    )


def _set_push_options(
    reader: Callable[[], git.GitConfigParser], writer: Callable[[], git.GitConfigParser]
) -> None:
    """Set the key through `writer` unless `reader` shows it set already (so a re-run from a
    timer rewrites nothing)."""
    import configparser  # noqa: PLC0415  # GitPython's config errors; loaded with it anyway

    key = ("receive", "advertisePushOptions")
    try:
        with reader() as current:
            if str(current.get_value(*key, default="")).lower() == "true":
                return
        with writer() as out:
            out.set_value(*key, "true")
    except (OSError, configparser.Error, ValueError) as exc:  # unwritable, config.lock held...
        raise GitwardError(f"cannot set receive.advertisePushOptions: {exc}"[:300]) from exc

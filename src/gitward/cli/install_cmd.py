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
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from gitward.errors import GitwardError

HELP = "install (or uninstall) the gitward pre-receive hook in bare repositories"
MARKER = "# gitward-managed: `gitward install` writes this file, `gitward uninstall` removes it"
SAVED = "pre-receive.gitward-saved"
_CONFIG_LINE = re.compile(r"^GITWARD_CONFIG=(.*)$", re.M)
_EXEC_LINE = re.compile(r"^exec (.*) hook pre-receive\b", re.M)


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
    """(repository, hook file) pairs named on the command line."""
    pairs = [(Path(r), Path(r) / "hooks" / "pre-receive") for r in args.repos]
    if args.gitea:
        root = Path(args.gitea)
        if not root.is_dir():
            raise GitwardError(f"{root}: not a directory")
        repos = sorted(p for p in root.glob("*/*.git") if p.is_dir())
        pairs += [(r, r / "hooks" / "pre-receive.d" / "gitward") for r in repos]
    if not pairs:
        raise GitwardError("name at least one repository (REPO.git) or --gitea ROOT")
    for repo, _ in pairs:
        if not (repo / "objects").is_dir() or not (repo / "HEAD").is_file():
            raise GitwardError(f"{repo}: not a bare git repository")
    return pairs


def run(args: argparse.Namespace) -> int:
    pairs = targets(args)
    if args.command == "uninstall":
        for repo, hook in pairs:
            print(f"{repo}: {uninstall_one(hook)}")
        return 0
    config = args.config or os.environ.get("GITWARD_CONFIG")
    text = render_shim(
        args.gitward or gitward_command(), str(Path(config).absolute()) if config else None
    )
    failed = 0
    for repo, hook in pairs:
        try:
            print(f"{repo}: {install_one(repo, hook, text, force=args.force)}")
        except GitwardError as exc:
            print(f"{repo}: FAILED: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def install_one(repo: Path, hook: Path, text: str, *, force: bool) -> str:
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


def _enable_push_options(repo: Path) -> None:
    proc = subprocess.run(
        ["git", "config", "--file", str(repo / "config"), "receive.advertisePushOptions", "true"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GitwardError(f"cannot set receive.advertisePushOptions: {proc.stderr.decode()[:200]}")

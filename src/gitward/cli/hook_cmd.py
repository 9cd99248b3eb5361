"""`gitward hook pre-receive [--config PATH]`: what the installed shim runs on every push."""

from __future__ import annotations

import argparse
import sys

HELP = "run a git hook (pre-receive): judge the push on stdin against the policy"
BROKEN = "gitward: push refused: gitward is broken on the server; ask your git admin\n"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("hook", choices=["pre-receive"], help="the hook git is running")
    parser.add_argument(
        "--config", help="policy file or directory (default: $GITWARD_CONFIG, set by the shim)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        # Imported here (the dispatcher imports every command module for --help), and guarded:
        # even a broken installation must refuse with one line, not show the pusher a traceback.
        from gitward import hook  # noqa: PLC0415
    except BaseException:  # fail closed, whatever broke
        sys.stderr.write(BROKEN)
        return 1
    return hook.main(["--config", args.config] if args.config else [])

"""The `gitward` command: a thin edge that parses arguments and translates errors once.

Each sub-command lives in its own module exposing `HELP: str`, `add_arguments(parser)` and
`run(args) -> int`. Modules are imported lazily so that `gitward hook pre-receive` (run on every
push) loads only what the hook needs.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TextIO

from gitward.errors import GitwardError

if TYPE_CHECKING:
    import argparse

# command name -> module (under gitward.cli) implementing it.
COMMANDS: dict[str, str] = {
    "hook": "hook_cmd",
    "check": "check_cmd",
    "config": "config_cmd",
    "signers": "signers_cmd",
    "install": "install_cmd",
    "uninstall": "install_cmd",
    "doctor": "doctor_cmd",
    "serve": "serve_cmd",
    "worker": "worker_cmd",
    "recheck": "recheck_cmd",
    "admin": "admin_cmd",
    "audit": "audit_cmd",
}


class Command(Protocol):
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser, name: str) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> Command:
    # A module satisfies the Protocol structurally (module-level HELP, add_arguments, run).
    module: Command = importlib.import_module(f"gitward.cli.{COMMANDS[name]}")
    return module


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    import argparse  # noqa: PLC0415  # not on the hook's path (see main)

    parser = argparse.ArgumentParser(
        prog="gitward",
        description="A security gate for Git servers: signed commits, message formats and "
        "ref protection, enforced in a pre-receive hook.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else [only]:
        cmd = _load(name)
        p = sub.add_parser(name, help=cmd.HELP, description=cmd.HELP)
        cmd.add_arguments(p, name)
        p.set_defaults(_command=cmd)
    return parser


def main(argv: Sequence[str] | None = None, stderr: TextIO | None = None) -> int:
    """Entry point; returns the process exit code (0 ok, 1 refused/failed, 2 usage)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    err = stderr or sys.stderr
    if args_list[:2] == ["hook", "pre-receive"]:
        # Every push pays for this process's start-up: skip argparse and the other commands.
        from gitward.cli.hook_cmd import pre_receive  # noqa: PLC0415

        return pre_receive(args_list[2:], err)
    # Only import the command being run: the hook's start-up time is part of every push.
    first = args_list[0] if args_list else None
    parser = build_parser(first if first in COMMANDS else None)
    args = parser.parse_args(args_list)
    try:
        return int(args._command.run(args))
    except GitwardError as exc:
        print(f"gitward: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `gitward check --json ... | head`: the reader left; say nothing more. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""`gitward hook pre-receive [--config PATH]`: what the installed shim runs on every push."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import argparse

HELP = "run a git hook (pre-receive): judge the push on stdin against the policy"
BROKEN = "gitward: push refused: gitward is broken on the server; ask your git admin\n"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("hook", choices=["pre-receive"], help="the hook git is running")
    parser.add_argument(
        "--config", help="policy file or directory (default: $GITWARD_CONFIG, set by the shim)"
    )


def run(args: argparse.Namespace) -> int:
    return pre_receive(["--config", args.config] if args.config else [], sys.stderr)


def pre_receive(argv: Sequence[str], stderr: TextIO) -> int:
    """The hook itself; `gitward.cli.main` calls this directly, without argparse, for speed."""
    own = _own_process()
    if own:
        # pysequoia's errors capture a Rust backtrace when RUST_BACKTRACE=1 is set, which makes
        # each bad signature cost ~0.7 ms instead of ~0.1 ms (a hostile push of many could eat
        # the time budget). RUST_LIB_BACKTRACE=0 keeps panics' backtraces but not errors'; an
        # explicit setting wins. Only in the hook's own process: the environment is shared.
        os.environ.setdefault("RUST_LIB_BACKTRACE", "0")
        # No cyclic garbage collection: the process lives for one push, and the collector's
        # passes over a heap that mostly grows (modules, the policy) cost a one-commit push
        # ~7 ms of CPU. Reference counting frees nearly everything else: a 5,000-file push
        # leaves ~6,000 objects in cycles, and its peak RSS (136 MB) is the same either way.
        gc.disable()
    try:
        # Imported here (the dispatcher imports every command module for --help), and guarded:
        # even a broken installation must refuse with one line, not show the pusher a traceback.
        from gitward.hook.main import main as hook_main  # noqa: PLC0415
    except BaseException:  # fail closed, whatever broke
        stderr.write(BROKEN)
        return 1
    code = hook_main(list(argv), stderr=stderr, watchdog=own)
    if own:  # the process is the hook's alone: skip the interpreter's teardown (~17 ms)
        from gitward.hook.quick_exit import exit_now  # noqa: PLC0415

        exit_now(code)
    return code


def _own_process() -> bool:
    """Was this process started as `gitward hook ...` (by git, through the shim)? Then it is
    the hook's alone, and its watchdog may end it, as may its own end (`hook.quick_exit`); a
    test calling `gitward.cli.main` is not."""
    return sys.argv[1:2] == ["hook"]

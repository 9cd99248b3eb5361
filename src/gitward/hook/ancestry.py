"""What the hook's ancestor processes say about how the push arrived, read from /proc (Linux).

Environment variables are set by whoever starts a process, so for the transports that set none
(or whose daemon passes on the environment it was started with) the process tree is the
evidence. git runs the hook from receive-pack, which a local `git push` starts itself and
`git daemon` starts for git://, in either of its modes (a hook shim that does not `exec` adds a
shell at the bottom):

    hook <- git-receive-pack <- sh -c <- git push             file:// or a path
    hook <- git receive-pack <- git-daemon --serve <- git-daemon <- git daemon
    hook <- git receive-pack <- git-daemon --inetd <- inetd / systemd / git remote-ext (ext::)

The nearest ancestor gitward recognises decides, so a daemon that a local `git push` started
(`ext::`) is still a daemon. The walk stops there: a few small reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

# How far up the process tree to look: receive-pack's chain is a handful of processes deep.
MAX_ANCESTORS = 32

Ancestry = Callable[[], Iterable[Sequence[str]]]

# An ancestor's program (its argv[0]'s file name; `git-<command>` for `git <command>`) -> what it
# says about the push. `git daemon` runs the program `git-daemon`, which runs `git receive-pack`.
PROGRAMS = {"git-daemon": "git-daemon", "git-push": "local", "git-send-pack": "local"}
# git's own options that take their value as the next argument (`git -C dir push ...`).
_GIT_VALUE_OPTIONS = frozenset(
    {"-c", "-C", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"}
)


def ancestry() -> Iterator[list[str]]:
    """The argv of each of this process's ancestors, nearest first, from /proc (Linux); stops
    where /proc cannot tell (no /proc, a hidden or vanished process)."""
    pid = os.getppid()
    for _ in range(MAX_ANCESTORS):
        if pid <= 0:
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            stat = Path(f"/proc/{pid}/stat").read_bytes()
            parent = int(stat.rpartition(b")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            return
        args = cmdline.removesuffix(b"\0").split(b"\0")
        yield [a.decode("utf-8", "surrogateescape") for a in args]
        pid = parent


def program(argv: Sequence[str]) -> str:
    """`git-push` for `git -c x=y push ...` or `/usr/lib/git-core/git-push ...`; else argv[0]'s
    file name."""
    name = argv[0].rpartition("/")[2] if argv else ""
    if name != "git":
        return name
    rest = iter(argv[1:])
    for arg in rest:
        if arg in _GIT_VALUE_OPTIONS:
            next(rest, None)
        elif not arg.startswith("-"):
            return f"git-{arg}"
    return name


def transport(ancestors: Iterable[Sequence[str]]) -> str | None:
    """What the nearest recognised ancestor says (see `PROGRAMS`); None when none is."""
    for argv in ancestors:
        said = PROGRAMS.get(program(argv))
        if said is not None:
            return said
    return None

"""Ending the hook's own process without the interpreter's teardown.

A hook process lives for one push. When it ends, CPython tears the interpreter down: each
module's objects freed one by one, then a last full garbage collection, ~17 ms of CPU on the
example config's one-commit push (about an eighth of what gitward adds to it) for memory the
kernel takes back anyway. `exit_now` does what of that teardown is seen outside the process,
in the interpreter's order, then ends it:

- the atexit callbacks run (coverage.py saves a test run's data there);
- stdout and stderr are flushed (git relays both to the pusher); a flush that fails ends the
  process with 120, as the interpreter's own exit does, so the outcome of such a push is
  unchanged.

The rest of the hook's output needs no teardown: the audit and error logs are written with
`os.write` and synced before the verdict is final, and the hook's threads (watchdog, cat-file
writer) are daemons, which the interpreter's exit does not wait for either. Used only in the
hook's own process (`hook_cmd`), never when a test or a tool calls `gitward.cli.main`.
"""

import atexit
import os
import sys
from typing import NoReturn

FLUSH_FAILED = 120  # the interpreter's exit status when flushing stdout or stderr fails


def exit_now(code: int) -> NoReturn:
    """End the process with `code` (see the module docstring)."""
    atexit._run_exitfuncs()  # what the interpreter runs first at exit; errors are printed
    status = code
    for stream in (sys.stdout, sys.stderr):
        if stream is None or stream.closed:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            status = FLUSH_FAILED
    os._exit(status)

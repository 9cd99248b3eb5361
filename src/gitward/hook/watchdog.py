"""The hook's last clock: ends the PROCESS shortly after the budget, whatever it is stuck in.

The `Deadline` bounds git calls and the backstop timer (`hook.backstop`) raises in the main
thread, but a call that never comes back to Python (an `open` on a hung network mount, an
`fsync` that never ends, an interpreter exit waiting for something) sees neither, and git keeps a
receive-pack process and the pusher's `git push` waiting for as long as it lasts. This daemon
thread needs nothing from the main thread: at the budget plus `WATCHDOG_MARGIN` it writes the one
refusal line, unless the pusher was already told something, and ends the process with
`os._exit`: with the exit code already decided if it stayed silent, else 1.

Armed only in the hook's own process (`gitward hook pre-receive` started by git): in a test that
calls `hook.main`, `os._exit` would end the test run.
"""

from __future__ import annotations

import os
import threading
import time

from gitward.errors import BudgetExceeded
from gitward.hook.attempt import Attempt
from gitward.hook.fail import describe
from gitward.report.render import refusal_line

# After the budget, the backstop timer (0.25 s) and the failure path's logs (`fail.LOG_GRACE`)
# come first; the watchdog is for when they could not run.
WATCHDOG_MARGIN = 1.0
# How soon the watchdog sees a new budget (the policy sets it after the run started).
POLL = 0.25


def arm(attempt: Attempt, fd: int = 2) -> None:
    """Start the watchdog for `attempt`, writing its refusal to `fd` (the hook's stderr)."""
    thread = threading.Thread(target=_watch, args=(attempt, fd), name="gitward-watchdog")
    thread.daemon = True  # never keeps the process alive
    thread.start()


def _watch(attempt: Attempt, fd: int) -> None:
    while (left := attempt.end + WATCHDOG_MARGIN - time.monotonic()) > 0:
        time.sleep(min(left, POLL))
    code = attempt.code if attempt.code is not None else 1
    if attempt.last_word():
        code = 1
        what = describe(BudgetExceeded("stopped by the watchdog"), attempt.budget)
        try:
            os.set_blocking(fd, False)  # a pipe nobody reads must not keep the process alive
            os.write(fd, (refusal_line(what) + "\n").encode("utf-8", "backslashreplace"))
        except OSError:
            pass  # git still sees the exit code
    os._exit(code)

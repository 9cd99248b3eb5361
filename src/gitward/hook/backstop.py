"""The hook's second clock: an interval timer that stops a run stuck where no `Deadline` looks.

Every git call honours the `Deadline`; this timer fires slightly after the budget and raises
`BudgetExceeded` wherever the code is (a loop that never checks, a blocking call), so the push
is refused instead of hanging until the forge kills the hook.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from gitward.errors import BudgetExceeded

# The timer fires this long after the budget: the Deadline should stop work first (with a
# better message); the timer catches whatever does not check the Deadline.
BACKSTOP_MARGIN = 0.25


class Rearm:
    """Re-arms the backstop timer (a no-op outside the main thread)."""

    def __init__(self, armed: bool) -> None:
        self.armed = armed

    def __call__(self, seconds: float) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.0))


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BudgetExceeded("stopped by the backstop timer")


@contextmanager
def backstop(seconds: float) -> Iterator[Rearm]:
    """Arm SIGALRM `seconds + margin` from now; restore the previous handler on exit.

    Signal handlers only run in the main thread; elsewhere (a test calling `main` from a
    thread) the Deadline alone bounds the run."""
    if threading.current_thread() is not threading.main_thread():
        yield Rearm(False)
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    rearm = Rearm(True)
    try:
        rearm(seconds + BACKSTOP_MARGIN)
        yield rearm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

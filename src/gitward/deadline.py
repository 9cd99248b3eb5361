"""The hook's total time budget, shared by every step that may take long.

A pre-receive hook that hangs blocks the push (and a forge's worker) until the forge kills it;
GitHub Enterprise Server kills pre-receive hooks after 5 s. So every git call takes its timeout
from one `Deadline` and an expired budget raises `BudgetExceeded`, which the hook turns into a
refused push (fail closed).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from gitward.errors import BudgetExceeded


class Deadline:
    """A point in (monotonic) time after which work must stop.

    `Deadline(seconds)` starts counting now; `math.inf` means "no limit" (used by `gitward
    check`, which runs on the admin's terminal, not inside a push).
    """

    __slots__ = ("_end", "seconds")

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("a deadline needs a positive number of seconds")
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    @classmethod
    def unlimited(cls) -> Deadline:
        return cls(math.inf)

    def remaining(self) -> float:
        """Seconds left (never negative); `math.inf` for an unlimited deadline."""
        return max(0.0, self._end - time.monotonic())

    def timeout(self) -> float | None:
        """`remaining()` in the form `subprocess` wants: None when there is no limit."""
        left = self.remaining()
        return None if math.isinf(left) else left

    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def alarm(self, action: Callable[[], None]) -> Alarm:
        """Run `action` (in a timer thread) when the deadline passes, unless cancelled first.
        Used to kill a child process whose output we are blocked reading."""
        return Alarm(self.timeout(), action)

    def check(self, what: str) -> None:
        """Raise `BudgetExceeded` naming `what` was being done when the budget ran out."""
        if self.expired():
            raise BudgetExceeded(
                f"time budget of {self.seconds:g} s exceeded while {what}; "
                "raise settings.timeout_seconds or push fewer commits at once"
            )


class Alarm:
    """A cancellable timer; `fired` tells whether the action ran."""

    def __init__(self, timeout: float | None, action: Callable[[], None]) -> None:
        self.fired = False
        self._action = action
        self._timer: threading.Timer | None = None
        if timeout is not None:
            self._timer = threading.Timer(timeout, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        self._action()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

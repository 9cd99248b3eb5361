"""What one hook run learned so far: the failure path (`hook.fail`) logs whatever is known."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gitward.audit.record import audit_record
from gitward.hook.ancestry import Ancestry, ancestry
from gitward.hook.pusher import detect
from gitward.model import Origin, RefUpdate, Verdict

if TYPE_CHECKING:
    from gitward.config import LoadedConfig, Located

DEFAULT_BUDGET = 4.0  # until the policy, which sets the real budget, is read


class Attempt:
    """What one run learned so far; the failure path logs whatever is known.

    A plain class, not a dataclass: creating a dataclass costs about 1 ms at import."""

    __slots__ = (
        "_voice",
        "ancestors",
        "budget",
        "code",
        "config",
        "env",
        "loaded",
        "located",
        "origin",
        "received_at",
        "spoke",
        "started",
        "updates",
    )

    def __init__(
        self,
        env: Mapping[str, str],
        started: float,
        received_at: datetime,
        ancestors: Ancestry = ancestry,
    ) -> None:
        self.env = env
        self.ancestors = ancestors  # the hook's ancestor processes (who pushes: hook.pusher)
        self.started = started
        self.received_at = received_at
        self.updates: list[RefUpdate] = []
        # The policy as read (kept so that the failure path never reads it again: the read
        # may be what failed, or hung) and, once valid, as loaded.
        self.located: Located | None = None
        self.loaded: LoadedConfig | None = None
        self.origin: Origin | None = None
        self.budget = DEFAULT_BUDGET
        self.config: str | None = None  # the policy path asked for (None: config's default)
        self.code: int | None = None  # the exit code, once decided
        # Who writes the pusher's last lines: the main thread or the watchdog, never both.
        self._voice = threading.Lock()
        self.spoke = False

    @property
    def git_dir(self) -> Path:
        return Path(self.env.get("GIT_DIR", ".")).absolute()

    @property
    def end(self) -> float:
        """When the budget runs out (`time.monotonic()` time)."""
        return self.started + self.budget

    def left(self) -> float:
        """Seconds of budget left (a tiny positive number once it ran out)."""
        return max(self.end - time.monotonic(), 1e-6)

    def speak(self) -> bool:
        """May the main thread write to the pusher? Yes, unless the watchdog already did."""
        if not self.spoke:
            self.spoke = self._voice.acquire(blocking=False)
        return self.spoke

    def last_word(self) -> bool:
        """May the watchdog write its refusal? Only if the pusher was told nothing yet."""
        return self._voice.acquire(blocking=False)

    def detect(self) -> Origin:
        return detect(self.env, self.git_dir, self.ancestors)

    def record(
        self, verdict_name: str, checked: int, verdict: Verdict | None, error: str | None = None
    ) -> dict[str, object]:
        return audit_record(
            received_at=self.received_at,
            origin=self.origin or self.detect(),
            updates=self.updates,
            verdict_name=verdict_name,
            commits_checked=checked,
            verdict=verdict,
            duration_ms=round((time.monotonic() - self.started) * 1000),
            error=error,
            policy_commit=self.loaded.policy_commit if self.loaded is not None else None,
        )

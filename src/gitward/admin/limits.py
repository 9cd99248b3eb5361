"""Sign-in attempts per client address and per login, in a sliding window (429 above).

Kept in the web worker's memory: with N gunicorn workers an attacker gets at most N times the
limit, still a handful of guesses against an argon2 hash per window. Memory is bounded: the
oldest keys are forgotten first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

MAX_KEYS = 10_000


class Limiter:
    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, keys: list[str], now: float | None = None) -> float:
        """Count one attempt for each key; 0 when allowed, else seconds until one is."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._seen.pop(key, deque())
                while times and times[0] <= now - self.window:
                    times.popleft()
                if len(times) >= self.attempts:
                    wait = max(wait, times[0] + self.window - now)
                else:
                    times.append(now)
                self._seen[key] = times
                while len(self._seen) > MAX_KEYS:
                    self._seen.popitem(last=False)
        return wait

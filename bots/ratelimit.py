"""A per-sender limit on messages a minute, kept in the process (each web process counts its own share)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
MAX_SENDERS = 100_000  # beyond this many tracked senders, the quietest are forgotten


class SenderLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, sender: str) -> bool:
        """Counts one message from ``sender``; False when it is over the limit of the last minute."""
        now = self._clock()
        times = self._seen.setdefault(sender, deque())
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        if len(times) >= self._limit:
            return False
        times.append(now)
        if len(self._seen) > MAX_SENDERS:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= WINDOW_SECONDS]:
            del self._seen[key]

"""Retry timing shared by the queue adapters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_attempts`` claims at most; the n-th retry waits ``base * 2**(n-1)`` seconds, capped."""

    max_attempts: int = 5
    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempts: int) -> float:
        return float(min(self.max_seconds, self.base_seconds * 2.0 ** max(0, attempts - 1)))

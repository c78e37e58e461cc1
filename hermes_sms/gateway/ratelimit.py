"""Per-sender flood limit: a sliding window of accepted messages per number."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from hermes_sms.config import RateLimit


class Verdict(Enum):
    ALLOW = "allow"
    # Over the limit, and the sender has not been told yet in this window.
    DROP_AND_NOTIFY = "drop-and-notify"
    DROP = "drop"


class SenderRateLimiter:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._accepted: dict[str, deque[float]] = {}
        self._notified_at: dict[str, float] = {}

    def check(self, sender: str) -> Verdict:
        now = self._clock()
        window = self._limit.window_seconds
        accepted = self._accepted.setdefault(sender, deque())
        while accepted and now - accepted[0] >= window:
            accepted.popleft()
        if len(accepted) < self._limit.count:
            accepted.append(now)
            return Verdict.ALLOW
        # At most one notice per window: a flood must not turn into a flood of replies we pay for.
        notified = self._notified_at.get(sender)
        if notified is None or now - notified >= window:
            self._notified_at[sender] = now
            return Verdict.DROP_AND_NOTIFY
        return Verdict.DROP

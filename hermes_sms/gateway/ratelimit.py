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


# Forget senders idle for a whole window once this many are tracked, so memory stays bounded
# even with SMS_ALLOW_ALL_USERS=true and many different numbers.
SWEEP_AT = 10_000


class SenderRateLimiter:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._accepted: dict[str, deque[float]] = {}
        self._notified_at: dict[str, float] = {}

    @property
    def tracked(self) -> int:
        return len(self._accepted)

    def _sweep(self, now: float) -> None:
        window = self._limit.window_seconds
        idle = [s for s, times in self._accepted.items() if not times or now - times[-1] >= window]
        for sender in idle:
            del self._accepted[sender]
            notified = self._notified_at.get(sender)
            if notified is not None and now - notified >= window:
                del self._notified_at[sender]

    def check(self, sender: str) -> Verdict:
        now = self._clock()
        if len(self._accepted) >= SWEEP_AT and sender not in self._accepted:
            self._sweep(now)
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

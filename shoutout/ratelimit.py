"""Per-connection rate limits for the WebSocket consumer.

Both classes take the clock as an argument (``timer``), so tests can drive
them without sleeping.
"""

import time
from collections import deque


class TokenBucket:
    """Allows ``rate`` events per second on average, with bursts up to ``rate``."""

    def __init__(self, rate: float, timer=time.monotonic):
        self.rate = rate
        self.timer = timer
        self.tokens = float(rate)
        self.updated = timer()

    def allow(self) -> bool:
        """Take one token if there is one; return whether the event may proceed."""
        now = self.timer()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class FloodGuard:
    """Counts rejected frames in a sliding window, so that :meth:`record` can report a flooding client."""

    def __init__(self, limit: int, window: float = 10.0, timer=time.monotonic):
        self.limit = limit
        self.window = window
        self.timer = timer
        self.rejections = deque()

    def record(self) -> bool:
        """Record one rejected frame; return True when the window contains more than ``limit``."""
        now = self.timer()
        self.rejections.append(now)
        while self.rejections and self.rejections[0] <= now - self.window:
            self.rejections.popleft()
        return len(self.rejections) > self.limit

"""Per-method rate limits over a sliding minute, on an injectable clock.

Slack applies its limits "per API method per workspace per app"; the simulator has one workspace and one
app, so a limit is per method. A call that is answered (whether ok or not) takes a slot; a call refused
with 429 takes none. Retry-After is the whole seconds until the oldest call in the window leaves it.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Mapping

WINDOW_S = 60.0


class RateLimiter:
    def __init__(self, limits: Mapping[str, int | None], clock: Callable[[], float]) -> None:
        """`limits`: calls allowed per minute per method; None or a missing method means unlimited."""
        self.limits = dict(limits)
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def acquire(self, method: str) -> int | None:
        """Take a slot for one call: None if it may be served, else the Retry-After seconds."""
        limit = self.limits.get(method)
        if limit is None:
            return None
        with self._lock:
            now = self._clock()
            seen = self._seen.setdefault(method, deque())
            while seen and seen[0] <= now - WINDOW_S:
                seen.popleft()
            if len(seen) >= limit:
                return max(1, math.ceil(seen[0] + WINDOW_S - now))
            seen.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()

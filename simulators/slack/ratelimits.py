"""Rate limits, on an injectable clock.

`RateLimiter`: per-method limits over a sliding minute. Slack applies its limits "per API method per
workspace per app"; the simulator has one workspace and one app, so a limit is per method. A call that is
answered (whether ok or not) takes a slot; a call refused with 429 takes none. Retry-After is the whole
seconds until the oldest call in the window leaves it.

`ChannelLimiter`: chat.postMessage's per-conversation limit, "1 per second, short bursts >1 allowed"
(docs.slack.dev/apis/web-api/rate-limits), as a token bucket: `burst` messages at once, refilled at
`per_second`. Slack does not publish the burst; the default here is 3 (configurable, or None for none).
Retry-After is the whole seconds until one token is back (1 at the documented rate).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class ChannelLimit:
    per_second: float = 1.0
    burst: int = 3

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a channel limit refills at a positive rate and holds at least one message")


class ChannelLimiter:
    def __init__(self, limit: ChannelLimit | None, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # channel → (tokens, at)

    def wait(self, channel: str) -> int | None:
        """None if a message may be posted to the channel now, else the Retry-After seconds; takes nothing."""
        if self.limit is None:
            return None
        with self._lock:
            tokens = self._tokens(channel)
            if tokens >= 1.0:
                return None
            return max(1, math.ceil((1.0 - tokens) / self.limit.per_second))

    def take(self, channel: str) -> None:
        if self.limit is None:
            return
        with self._lock:
            self._buckets[channel] = (self._tokens(channel) - 1.0, self._clock())

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _tokens(self, channel: str) -> float:
        limit = self.limit or ChannelLimit()
        now = self._clock()
        tokens, at = self._buckets.get(channel, (float(limit.burst), now))
        return min(float(limit.burst), tokens + (now - at) * limit.per_second)

"""Throttling as ARM does it: 429 with `Retry-After`, and the `x-ms-ratelimit-remaining-*` headers.

"Understand how Azure Resource Manager throttles requests": "When you reach the limit, you receive the HTTP
status code 429 Too many requests. The response includes a Retry-After value, which specifies the number of
seconds your application should wait (or sleep) before sending the next request." Limits are token buckets
per subscription (or tenant) and operation kind (the page's table since 2024's move to regional token
buckets): reads 250 tokens refilled at 25 per second, writes and deletes 200 refilled at 10 per second
(`limits`, which a test may shrink). Every answer reports what is left in
`x-ms-ratelimit-remaining-{subscription|tenant}-{reads|writes|deletes}`; with `enforce_limits` an
empty bucket answers 429 with the seconds until a token is back. `throttle_next` injects 429s regardless
of the buckets.
"""

from __future__ import annotations

import math
import threading
import time

RATES = {"reads": (250.0, 25.0), "writes": (200.0, 10.0), "deletes": (200.0, 10.0)}  # (bucket, refill/s)
NO_HEADER = -1


def kind_of(method: str) -> str:
    return {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}.get(method, "writes")


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.enforce_limits = False
            self.limits = dict(RATES)  # kind -> (bucket size, refill per second)
            self._pending: list[tuple[str, int]] = []  # (path prefix, lower-cased; Retry-After or NO_HEADER)
            self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # (level, kind) -> (tokens, at)

    def throttle_next(self, path_prefix: str = "/", *, times: int = 1, retry_after: int | None = 1) -> None:
        """The next `times` requests whose path starts with the prefix answer 429 (Retry-After seconds,
        or no header with None)."""
        with self._lock:
            entry = (path_prefix.rstrip("/").lower(), NO_HEADER if retry_after is None else retry_after)
            self._pending.extend([entry] * times)

    def injected(self, path: str) -> int | None:
        """Consume an armed 429 for the path: its Retry-After (NO_HEADER: none), or None."""
        lowered = path.lower()
        with self._lock:
            for index, (prefix, wait) in enumerate(self._pending):
                if lowered == prefix or lowered.startswith(prefix + "/") or not prefix:
                    del self._pending[index]
                    return wait
        return None

    def spend(self, level: str, method: str) -> tuple[str, int, int | None]:
        """Take a token: (header name, tokens left, Retry-After when the bucket is empty and enforced)."""
        kind = kind_of(method)
        now = time.monotonic()
        with self._lock:
            size, rate = self.limits[kind]
            tokens, at = self._buckets.get((level, kind), (size, now))
            tokens = min(size, tokens + (now - at) * rate)
            wait = None
            if tokens >= 1:
                tokens -= 1
            elif self.enforce_limits:
                wait = max(1, math.ceil((1 - tokens) / rate))
            self._buckets[(level, kind)] = (tokens, now)
        scope = "subscription" if level.startswith("/subscriptions/") else "tenant"
        return f"x-ms-ratelimit-remaining-{scope}-{kind}", int(tokens), wait

"""Injected faults: throttling (a seeded ratio, or a resource-unit budget), and one-shot page faults.

Throttling applies to every request except the `$batch` envelope, whose items are throttled one by one
(the envelope answers 200, as Graph's does). One-shot faults match the next request whose path, relative to
/v1.0, starts with the given prefix ("/users" matches /users, /users/delta and /users/{id}); they apply to
top-level requests only, never inside `$batch`; `times=n` arms the same fault for the next n matches.

The resource-unit budget approximates Graph's identity limits (DESIGN §6): a list of users, groups or
service principals costs 2, members 3, transitiveMembers 5, delta 5, anything else 1; `$select` lowers a
cost by 1 (never below 1). Over the budget within a 10 s window → 429 with the seconds left in the window.
"""

from __future__ import annotations

import math
import random
import threading
import time

WINDOW_S = 10.0
NO_HEADER = -1  # throttle() result: 429 without Retry-After


def cost(method: str, path: str, query: dict[str, str]) -> int:
    segments = [s for s in path.split("/") if s]
    units = 1
    if method == "GET":
        if any(s.endswith("delta") or s.endswith("delta()") for s in segments[-1:]):
            units = 5
        elif "transitiveMembers" in segments:
            units = 5
        elif "members" in segments:
            units = 3
        elif len(segments) == 1:
            units = 2
    if "$select" in query:
        units -= 1
    return max(units, 1)


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.throttle_ratio = 0.0  # fraction of requests (and of $batch items) answered 429
            self.retry_after: int | None = 1  # seconds in Retry-After; None → 429 without the header
            self.throttle_limit_percentage: float | None = None  # → x-ms-throttle-limit-percentage
            self.resource_units_per_window: int | None = None  # budget per 10 s window; None = unlimited
            self.batch_out_of_order = True  # $batch answers in reverse order: clients must match by id
            self._rng = random.Random(self.seed)  # noqa: S311 - reproducible fault injection
            self._pending: list[tuple[str, str]] = []
            self._window_start = time.monotonic()
            self._window_used = 0

    def truncate_next(self, path_prefix: str, times: int = 1) -> None:
        """The next page served for that path is cut off mid-JSON (a complete HTTP response, invalid body)."""
        self._arm("truncate", path_prefix, times)

    def repeat_next(self, path_prefix: str, times: int = 1) -> None:
        """The next page served for that path gets a nextLink pointing back at itself (the exact URL)."""
        self._arm("repeat", path_prefix, times)

    def drop_next_link_next(self, path_prefix: str, times: int = 1) -> None:
        """The next page served for that path loses its nextLink: it looks like the last, the rest is lost."""
        self._arm("drop_next", path_prefix, times)

    def reset_next(self, path_prefix: str, times: int = 1) -> None:
        """The next request for that path has its connection reset without any response."""
        self._arm("reset", path_prefix, times)

    def _arm(self, kind: str, path_prefix: str, times: int) -> None:
        prefix = "/" + path_prefix.strip("/").removeprefix("v1.0").lstrip("/")
        with self._lock:
            self._pending.extend([(kind, prefix)] * times)

    def take(self, kind: str, path: str) -> bool:
        """Consume an armed fault of that kind matching the path."""
        with self._lock:
            for index, (armed, prefix) in enumerate(self._pending):
                if armed == kind and (path == prefix or path.startswith(prefix.rstrip("/") + "/")):
                    del self._pending[index]
                    return True
        return False

    def throttle(self, method: str, path: str, query: dict[str, str]) -> int | None:
        """None to serve the request, else a 429's Retry-After seconds (NO_HEADER: send none)."""
        with self._lock:
            if self.resource_units_per_window is not None:
                now = time.monotonic()
                if now - self._window_start >= WINDOW_S:
                    self._window_start, self._window_used = now, 0
                units = cost(method, path, query)
                if self._window_used + units > self.resource_units_per_window:
                    return max(1, math.ceil(self._window_start + WINDOW_S - now))
                self._window_used += units
            if self.throttle_ratio > 0 and self._rng.random() < self.throttle_ratio:
                return NO_HEADER if self.retry_after is None else self.retry_after
        return None

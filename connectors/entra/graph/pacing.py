"""How fast we may talk to Graph: request costs, a resource-unit bucket, an adaptive concurrency limit, and
the waits between attempts. Pure asyncio plus an injected clock, so tests run without waiting.

Graph budgets identity reads per application and tenant in resource units per 10 s (3,500 / 5,000 / 8,000
by tenant size), each request costing a base that its query options adjust (learn.microsoft.com/graph/
throttling-limits, "Identity and access service limits"). Staying under the budget is cheaper than being
throttled: a 429 costs a round trip and a wait of its own.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

BUDGET_WINDOW_SECONDS = 10.0
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
PRESSURE_THRESHOLD = 0.8  # Graph sends x-ms-throttle-limit-percentage only above 0.8 of the limit
RECOVERY_RESPONSES = 20  # calm responses before the concurrency limit grows by one again

# Base costs (GET) by the path's last segment; anything not listed costs 1.
_BASE_COST = {
    "users": 2,
    "applications": 2,
    "extensionProperties": 2,
    "oauth2PermissionGrants": 2,
    "appRoleAssignments": 2,
    "memberOf": 2,
    "transitiveMemberOf": 2,
    "ownedObjects": 2,
    "members": 3,
    "transitiveMembers": 5,
}


@dataclass(frozen=True, slots=True)
class Clock:
    monotonic: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]


def resource_units(method: str, url: str) -> int:
    """Graph's cost of one request, from its path and query (never below 1)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    while segments and segments[-1].startswith("microsoft.graph."):
        segments.pop()  # a type cast (…/transitiveMembers/microsoft.graph.user) costs as its collection
    if segments and segments[-1] == "delta":
        segments.pop()
    cost = _BASE_COST.get(segments[-1], 1) if method == "GET" and segments else 1
    query = dict(parse_qsl(parts.query))
    cost -= 1 if "$select" in query else 0
    cost += 1 if "$expand" in query else 0
    top = query.get("$top", "")
    cost -= 1 if top.isdigit() and int(top) < 20 else 0
    return max(1, cost)


class ResourceBudget:
    """A token bucket over resource units: `budget` units per 10 s, starting full, waiters served in order."""

    def __init__(self, budget: int, clock: Clock) -> None:
        self.capacity = float(budget)
        self.rate = budget / BUDGET_WINDOW_SECONDS
        self._clock = clock
        self._tokens = self.capacity
        self._stamp = clock.monotonic()
        self._lock = asyncio.Lock()

    async def take(self, units: int) -> float:
        """Waits until `units` are available and spends them; returns the seconds waited."""
        units_needed = min(
            float(units), self.capacity
        )  # a request dearer than the bucket waits for all of it
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= units_needed:
                    self._tokens -= units_needed
                    return waited
                wait = (units_needed - self._tokens) / self.rate
                await self._clock.sleep(wait)
                waited += wait


class AdaptiveLimit:
    """At most `limit` requests in flight. Under pressure (429, or Graph reporting more than 0.8 of the
    budget used) the limit halves; after RECOVERY_RESPONSES calm responses it grows by one (slowly, so a
    tenant near its limit is not pushed straight back into throttling)."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.limit = maximum
        self.lowest = maximum
        self._in_flight = 0
        self._calm = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_flight < self.limit)
            self._in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def observe(self, pressure: bool) -> None:
        if pressure:
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
            self._calm = 0
            return
        self._calm += 1
        if self._calm >= RECOVERY_RESPONSES and self.limit < self.maximum:
            self.limit += 1
            self._calm = 0


def under_pressure(status: int, headers: Mapping[str, str]) -> bool:
    if status == 429:
        return True
    value = headers.get("x-ms-throttle-limit-percentage")
    try:
        return value is not None and float(value) > PRESSURE_THRESHOLD
    except ValueError:
        return False


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from Retry-After (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_jitter = random.Random()  # noqa: S311 - spreading retries needs no cryptographic randomness


def backoff(attempt: int, cap: float = BACKOFF_CAP_SECONDS) -> float:
    """Capped exponential backoff with "equal jitter": between half and all of min(cap, 1 s · 2^(n-1))."""
    ceiling = min(cap, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return ceiling / 2 + _jitter.uniform(0, ceiling / 2)

"""Injected faults, armed per method and consumed in order by the next matching calls.

- `rate_limit_next(method, times, retry_after)`: HTTP 429, `Retry-After: <retry_after>`, body
  `{"ok": false, "error": "ratelimited"}` (the same answer the per-minute limits give).
- `fail_next(method, error, times)`: HTTP 200 `{"ok": false, "error": error}`; the method does nothing.
- `outage(True)`: every call, whatever the method or token, answers HTTP 503 until `outage(False)`.

`after=N` lets the next N matching calls through first: a later call fails (page 3 of a digest, say).

Faults apply after authentication (an unauthenticated call is refused first, as Slack would) and before
the per-minute limits; a call refused by a fault takes no rate-limit slot.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    kind: str  # "ratelimited" | "error"
    error: str = "ratelimited"
    retry_after: int = 1


class Faults:
    def __init__(self, known_methods: Collection[str]) -> None:
        self._known = frozenset(known_methods)
        self._lock = threading.Lock()
        self._pending: dict[str, list[Fault | None]] = {}
        self._outage = False

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 1, *, after: int = 0) -> None:
        if retry_after < 0:
            raise ValueError("retry_after is whole seconds, at least 0")
        self._arm(method, Fault("ratelimited", retry_after=retry_after), times, after)

    def fail_next(self, method: str, error: str = "fatal_error", times: int = 1, *, after: int = 0) -> None:
        self._arm(method, Fault("error", error=error), times, after)

    def outage(self, on: bool = True) -> None:
        with self._lock:
            self._outage = on

    @property
    def in_outage(self) -> bool:
        with self._lock:
            return self._outage

    def take(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._pending.get(method)
            return queue.pop(0) if queue else None  # None in the queue: a call let through (`after`)

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self._outage = False

    def _arm(self, method: str, fault: Fault, times: int, after: int) -> None:
        if method not in self._known:
            raise ValueError(f"the simulator does not implement {method!r}")
        if after < 0:
            raise ValueError("after counts calls let through, at least 0")
        with self._lock:
            queue = self._pending.setdefault(method, [])
            if after and queue:
                raise ValueError(f"{method} has faults armed already: `after` counts from the next call")
            queue.extend([None] * after + [fault] * times)

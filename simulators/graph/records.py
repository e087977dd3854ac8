"""What the simulator received, for tests to assert on (never the Authorization header)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str  # as requested, without the query string: "/v1.0/users/{id}" (batch items too)
    query: dict[str, str]
    status: int | None = None  # None: the connection was reset (or the response is not written yet)
    body: Any = None  # the parsed JSON request body
    at: float = 0.0  # time.monotonic() on arrival: lets tests check that no retry came early
    batch: list[RecordedRequest] = field(default_factory=list)  # a $batch's items
    batch_id: str | None = None  # an item's id inside its $batch
    consistency_level: str | None = None  # the ConsistencyLevel header (advanced queries need "eventual")

    @property
    def throttled(self) -> bool:
        return self.status == 429

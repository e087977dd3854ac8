"""What the simulator received, for tests to assert on: one record per HTTP request to /api/."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedCall:
    method: str  # the API method from the path, e.g. "users.lookupByEmail" (as sent, even if unknown)
    args: dict[str, Any]  # query string and body (form or JSON) merged, the `token` argument removed
    token: str | None  # the token presented (Authorization: Bearer, or the `token` form field)
    http_method: str  # "GET" or "POST" (slack_sdk POSTs everything, with GET methods' args in the query)
    at: float  # the simulator's clock on arrival: lets tests check that no retry came early
    status: int | None = None  # the HTTP status, set before the answer is written
    response: dict[str, Any] = field(default_factory=dict)  # the JSON body answered

    @property
    def ok(self) -> bool:
        return self.response.get("ok") is True

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return error if isinstance(error, str) else None

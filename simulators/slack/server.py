"""`SlackSimulator`: the Slack Web API over a `SlackWorkspace`, on 127.0.0.1 (ephemeral port).

Each call goes through, in order: outage (503) → unknown method (404 `unknown_method`) → unreadable body
→ authentication (`not_authed` / `invalid_auth`, HTTP 200) → injected faults → per-minute rate limit
(429 `ratelimited` + Retry-After) → the method. Every call is recorded, whatever its answer.
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from email.message import Message
from typing import Any

from simulators.slack.faults import Faults
from simulators.slack.methods import METHODS, ApiError, Call
from simulators.slack.ratelimits import RateLimiter
from simulators.slack.records import RecordedCall
from simulators.slack.wire import API_PREFIX, parse
from simulators.slack.workspace import SlackWorkspace
from simulators.transport import LocalServer, Reply, Service

JSON_TYPE = "application/json; charset=utf-8"


class SlackSimulator(Service):
    """Use as a context manager; `api_url` is slack_sdk's `WebClient(base_url=...)`."""

    def __init__(
        self,
        workspace: SlackWorkspace,
        *,
        bot_token: str = "xoxb-test",  # noqa: S107 - the simulator's own token, not a secret
        rate_limits: Mapping[str, int | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`rate_limits` overrides the per-minute limit of named methods (None: unlimited); the others
        keep their Slack tier's limit. `clock` drives the rate-limit window and `RecordedCall.at`."""
        unknown = set(rate_limits or {}) - set(METHODS)
        if unknown:
            raise ValueError(f"no such methods: {sorted(unknown)}")
        self.workspace = workspace
        self.bot_token = bot_token
        self.faults = Faults(METHODS)
        self.limiter = RateLimiter(
            {m.name: m.per_minute for m in METHODS.values()} | dict(rate_limits or {}), clock
        )
        self.calls: list[RecordedCall] = []
        self._clock = clock
        self._http = LocalServer(self._handle, name="slack-simulator")
        self._base = ""

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> SlackSimulator:
        self._http.start()
        self._base = f"http://127.0.0.1:{self._http.port}"
        return self

    def stop(self) -> None:
        self._http.stop()
        self._base = ""

    @property
    def api_url(self) -> str:
        if not self._base:
            raise RuntimeError("the simulator is not started")
        return self._base + API_PREFIX

    # ---- records ----------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in list(self.calls) if call.method == method]

    # ---- serving ----------------------------------------------------------------------------------
    def _handle(self, http_method: str, target: str, headers: Message, raw: bytes) -> Reply:
        incoming = parse(target, headers, raw)
        record = RecordedCall(incoming.method, incoming.args, incoming.token, http_method, at=self._clock())
        self.calls.append(record)
        status, body, extra_headers = self._answer(
            incoming.method, incoming.args, incoming.token, incoming.problem
        )
        record.status, record.response = status, body  # before the answer leaves: a test may read it
        headers_out = {"Content-Type": JSON_TYPE, "X-Slack-Req-Id": uuid.uuid4().hex} | extra_headers
        return Reply(status, json.dumps(body, separators=(",", ":")).encode(), headers_out)

    def _answer(
        self, name: str, args: dict[str, Any], token: str | None, problem: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.faults.in_outage:
            return 503, {"ok": False, "error": "service_unavailable"}, {}
        method = METHODS.get(name)
        if method is None:
            return 404, {"ok": False, "error": "unknown_method", "req_method": name}, {}
        if problem is not None:
            return 200, {"ok": False, "error": problem}, {}
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if not hmac.compare_digest(token.encode(), self.bot_token.encode()):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        fault = self.faults.take(name)
        if fault is not None and fault.kind == "ratelimited":
            return _ratelimited(fault.retry_after)
        if fault is not None:
            return 200, {"ok": False, "error": fault.error}, {}
        wait = self.limiter.acquire(name)
        if wait is not None:
            return _ratelimited(wait)
        try:
            with self.workspace.lock:
                result = method.handler(Call(self.workspace, args))
        except ApiError as exc:
            return exc.status, {"ok": False, "error": exc.error, **exc.extra}, {}
        return 200, {"ok": True, **result}, {}


def _ratelimited(retry_after: int) -> tuple[int, dict[str, Any], dict[str, str]]:
    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}

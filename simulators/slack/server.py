"""`SlackSimulator`: the Slack Web API over a `SlackWorkspace`, on 127.0.0.1 (ephemeral port).

Each call goes through, in order: outage (503) → unknown method (404 `unknown_method`) → unreadable body
→ authentication (`not_authed` / `invalid_auth`, HTTP 200; the other kind of token than the method takes:
`not_allowed_token_type`) → injected faults → per-conversation limit of chat.postMessage and per-minute
limit of the method (429 `ratelimited` + Retry-After; a refused call takes no slot of either) → the
method; every call a token was accepted for answers with that token's granted scopes in `x-oauth-scopes`
(`bot_scopes=`).
Every call is recorded, whatever its answer.

The same server serves the response URLs it hands out (`/actions/…`, `/commands/…`, see `responses.py`),
recorded in `sim.responses`; with `socket_mode=True` it also runs a Socket Mode endpoint
(`sim.socket`, see `socketmode.py`) that `apps.connections.open` points clients to.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from email.message import Message
from typing import Any

from simulators.slack import chat, views  # noqa: F401 - registers their methods
from simulators.slack.faults import Faults
from simulators.slack.methods import METHODS, ApiError, Call, Method
from simulators.slack.outgoing import Payloads
from simulators.slack.ratelimits import ChannelLimit, ChannelLimiter, RateLimiter
from simulators.slack.records import RecordedCall
from simulators.slack.responses import PREFIXES, ResponsePost, respond
from simulators.slack.socketmode import SocketModeServer
from simulators.slack.wire import API_PREFIX, parse
from simulators.slack.workspace import SlackWorkspace
from simulators.transport import LocalServer, Reply, Service

DEFAULT_CHANNEL_LIMIT = ChannelLimit()
# What an app installed from Recertify's manifest is granted; a test narrows it to show a missing scope.
DEFAULT_BOT_SCOPES = ("chat:write", "commands", "users:read", "users:read.email", "usergroups:read")
APP_TOKEN_SCOPES = ("connections:write",)  # an app-level token made for Socket Mode

JSON_TYPE = "application/json; charset=utf-8"


class SlackSimulator(Service):
    """Use as a context manager; `api_url` is slack_sdk's `WebClient(base_url=...)`."""

    def __init__(
        self,
        workspace: SlackWorkspace,
        *,
        bot_token: str = "xoxb-test",  # noqa: S107 - the simulator's own token, not a secret
        app_token: str = "xapp-test",  # noqa: S107 - likewise: the app-level token (Socket Mode)
        rate_limits: Mapping[str, int | None] | None = None,
        channel_limit: ChannelLimit | None = DEFAULT_CHANNEL_LIMIT,
        socket_mode: bool = False,
        clock: Callable[[], float] = time.monotonic,
        bot_scopes: Sequence[str] = DEFAULT_BOT_SCOPES,
    ) -> None:
        """`rate_limits` overrides the per-minute limit of named methods (None: unlimited); the others
        keep their Slack tier's limit. `channel_limit` is chat.postMessage's per-conversation limit (None:
        none). `bot_scopes`: what the bot token was granted, sent back as Slack does in the
        `x-oauth-scopes` header of every answer to a valid token. `clock` drives the rate-limit windows,
        `RecordedCall.at` and `ResponsePost.at`; trigger ids and response URLs expire on the workspace's
        clock."""
        unknown = set(rate_limits or {}) - set(METHODS)
        if unknown:
            raise ValueError(f"no such methods: {sorted(unknown)}")
        self.workspace = workspace
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_scopes = tuple(bot_scopes)
        self.faults = Faults(METHODS)
        self.limiter = RateLimiter(
            {m.name: m.per_minute for m in METHODS.values()} | dict(rate_limits or {}), clock
        )
        self.channel_limiter = ChannelLimiter(channel_limit, clock)
        self.calls: list[RecordedCall] = []
        self.responses: list[ResponsePost] = []
        self.socket: SocketModeServer | None = SocketModeServer(workspace, app_token) if socket_mode else None
        self._clock = clock
        self._admit = threading.Lock()
        self._http = LocalServer(self._handle, name="slack-simulator")
        self._base = ""

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> SlackSimulator:
        self._http.start()
        self._base = f"http://127.0.0.1:{self._http.port}"
        if self.socket is not None:
            self.socket.start()
        return self

    def stop(self) -> None:
        if self.socket is not None:
            self.socket.stop()
        self._http.stop()
        self._base = ""

    @property
    def api_url(self) -> str:
        if not self._base:
            raise RuntimeError("the simulator is not started")
        return self._base + API_PREFIX

    @property
    def base_url(self) -> str:
        """The root of the simulator's HTTP server (response URLs live under it)."""
        if not self._base:
            raise RuntimeError("the simulator is not started")
        return self._base

    def payloads(
        self, *, team_id: str | None = None, api_app_id: str | None = None, enterprise_id: str | None = None
    ) -> Payloads:
        """Builders of what Slack sends the bot, with response URLs served here (see `outgoing.py`)."""
        return Payloads(
            self.workspace,
            response_base=self.base_url,
            team_id=team_id,
            api_app_id=api_app_id,
            enterprise_id=enterprise_id,
        )

    # ---- records ----------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in list(self.calls) if call.method == method]

    # ---- serving ----------------------------------------------------------------------------------
    def _handle(self, http_method: str, target: str, headers: Message, raw: bytes) -> Reply:
        path = target.split("?", 1)[0]
        if path.startswith(PREFIXES):
            return self._response_url(path.lstrip("/"), raw)
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
        wanted, other = (
            (self.app_token, self.bot_token) if method.auth == "app" else (self.bot_token, self.app_token)
        )
        if not hmac.compare_digest(token.encode(), wanted.encode()):
            refusal = (
                "not_allowed_token_type" if hmac.compare_digest(token.encode(), other.encode()) else None
            )
            return 200, {"ok": False, "error": refusal or "invalid_auth"}, {}
        scopes = APP_TOKEN_SCOPES if method.auth == "app" else self.bot_scopes
        status, body, headers = self._authenticated(method, name, args)
        return status, body, {"x-oauth-scopes": ",".join(scopes)} | headers

    def _authenticated(
        self, method: Method, name: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """A call whose token was accepted: faults, rate limits, then the method."""
        fault = self.faults.take(name)
        if fault is not None and fault.kind == "ratelimited":
            return _ratelimited(fault.retry_after)
        if fault is not None:
            return 200, {"ok": False, "error": fault.error}, {}
        wait = self._admit_call(method, args)
        if wait is not None:
            return _ratelimited(wait)
        socket_url = self.socket.url if self.socket is not None else None
        try:
            with self.workspace.lock:
                result = method.handler(Call(self.workspace, args, socket_url))
        except ApiError as exc:
            return exc.status, {"ok": False, "error": exc.error, **exc.extra}, {}
        return 200, {"ok": True, **result}, {}

    def _admit_call(self, method: Method, args: dict[str, Any]) -> int | None:
        """Retry-After seconds if a limit refuses the call; else None, the call's slots taken."""
        channel: str | None = None
        if method.per_channel:
            raw = args.get("channel")
            found = self.workspace.resolve_channel(raw) if isinstance(raw, str) and raw else None
            channel = found.id if found is not None else str(raw)
        with self._admit:
            if channel is not None:
                wait = self.channel_limiter.wait(channel)
                if wait is not None:
                    return wait
            wait = self.limiter.acquire(method.name)
            if wait is not None:
                return wait
            if channel is not None:
                self.channel_limiter.take(channel)
        return None

    def _response_url(self, key: str, raw: bytes) -> Reply:
        record = ResponsePost(key, {}, self._clock())
        self.responses.append(record)
        status, answer = respond(self.workspace, key, raw, record)
        record.status, record.answer = status, answer
        return Reply(status, answer.encode(), {"Content-Type": "text/html"})


def _ratelimited(retry_after: int) -> tuple[int, dict[str, Any], dict[str, str]]:
    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}

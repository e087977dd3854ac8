"""The HTTP side: `simulators.transport.LocalServer` on 127.0.0.1 (ephemeral port) in front of
`protocol.Context`.

HTTP/1.1 keep-alive is on, so a client's connection pool is reused. Stopping shuts every open connection
down and joins its thread, so a stopped simulator leaves no thread and no socket behind.
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from simulators.graph.batch import run_batch
from simulators.graph.errors import GraphError, error_body
from simulators.graph.faults import NO_HEADER, Faults
from simulators.graph.permissions import authorize
from simulators.graph.protocol import Context, Request, Response, parse_query
from simulators.graph.records import RecordedRequest
from simulators.graph.routes import register_all
from simulators.graph.tenant import Tenant
from simulators.transport import LocalServer, Reply, Service


class GraphSimulator(Service):
    """Microsoft Graph v1.0 over a `Tenant`. Use as a context manager; `url` is the SDK's base URL."""

    def __init__(
        self,
        tenant: Tenant,
        *,
        token: str = "test-token",  # noqa: S107 - the simulator's own bearer token, not a secret
        page_size: int = 100,
        delta_page_size: int | None = None,
        delta_member_chunk: int = 500,
        max_batch: int = 20,
        seed: int = 0,
        granted_roles: Iterable[str] | None = None,
        premium: bool = True,
    ) -> None:
        """`granted_roles`: the application permissions the app was granted (None: every request is
        allowed); `premium`: whether the tenant has Entra ID P1, which sign-in activity needs (see
        permissions.py). Both may be changed while the simulator runs."""
        self.tenant = tenant
        self.faults = Faults(seed)
        self.requests: list[RecordedRequest] = []
        self.max_batch = max_batch
        self._token = token
        self._ctx = Context(tenant, "", page_size, delta_page_size, delta_member_chunk)
        self._ctx.permissions = None if granted_roles is None else frozenset(granted_roles)
        self._ctx.premium = premium
        register_all(self._ctx)
        self._http = LocalServer(self._serve, name="graph-simulator")

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> GraphSimulator:
        self._http.start()
        self._ctx.base_url = f"http://127.0.0.1:{self._http.port}/v1.0"
        return self

    def stop(self) -> None:
        self._http.stop()

    @property
    def url(self) -> str:
        if not self._ctx.base_url:
            raise RuntimeError("the simulator is not started")
        return self._ctx.base_url

    # ---- test controls ----------------------------------------------------------------------------
    def expire_delta_links(self, *, reset: bool = False) -> None:
        """Every delta token issued so far (deltaLinks and mid-round nextLinks) is refused from now on: with
        400 `syncStateNotFound`, as Graph answers an expired link, or with `reset`, 410 Gone and a Location
        header, as Graph answers a synchronization reset. (A link older than `delta_lifetime` on the
        tenant's clock answers 400 `syncStateNotFound` by itself.)"""
        with self.tenant.lock:
            self._ctx.delta_epoch += 1
            self._ctx.delta_stale_status = 410 if reset else 400

    @property
    def premium(self) -> bool:
        """Whether the tenant has a Microsoft Entra ID P1 or P2 licence; without one, reading signInActivity
        answers 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant."""
        return self._ctx.premium

    @premium.setter
    def premium(self, value: bool) -> None:
        self._ctx.premium = value

    @property
    def permissions(self) -> frozenset[str] | None:
        """The application permissions the app was granted (None: every one it needs). Checked where Graph
        answers 403 Authorization_RequestDenied: signInActivity without AuditLog.Read.All."""
        return self._ctx.permissions

    @permissions.setter
    def permissions(self, value: frozenset[str] | None) -> None:
        self._ctx.permissions = value

    @property
    def granted_roles(self) -> frozenset[str] | None:
        """The same as `permissions`: the roles claim of the app's token, as the constructor names it."""
        return self._ctx.permissions

    @granted_roles.setter
    def granted_roles(self, value: frozenset[str] | None) -> None:
        self._ctx.permissions = value

    @property
    def delta_lifetime(self) -> timedelta:
        return timedelta(seconds=self._ctx.delta_lifetime_s)

    @delta_lifetime.setter
    def delta_lifetime(self, value: timedelta) -> None:
        self._ctx.delta_lifetime_s = value.total_seconds()

    def reset_faults(self) -> None:
        self.faults.reset()

    def request_count(
        self, include_batch_items: bool = False, *, method: str | None = None, path_prefix: str | None = None
    ) -> int:
        """HTTP requests received; with include_batch_items, a $batch counts as its items, not as one."""
        prefix = None if path_prefix is None else "/v1.0/" + path_prefix.lstrip("/").removeprefix("v1.0/")
        flat: list[RecordedRequest] = []
        for record in list(self.requests):
            flat.extend(record.batch if include_batch_items and record.batch else [record])
        return sum(
            1
            for r in flat
            if (method is None or r.method == method) and (prefix is None or r.path.startswith(prefix))
        )

    # ---- serving ----------------------------------------------------------------------------------
    def _serve(self, method: str, target: str, headers: Message, raw: bytes) -> Reply | None:
        record, response = self.handle(method, target, headers, raw)
        if response is None:  # reset: RST instead of an answer
            return None
        data = b"" if response.body is None else json.dumps(response.body, separators=(",", ":")).encode()
        if response.truncate:
            data = data[: len(data) // 2]  # a complete HTTP response whose JSON stops mid-way
        record.status = response.status  # before the answer leaves: a test may read it right after
        return Reply(response.status, data, response.headers)

    def handle(
        self, method: str, target: str, headers: Any, raw: bytes
    ) -> tuple[RecordedRequest, Response | None]:
        """One HTTP request → (its record, the response or None to reset the connection)."""
        split = urlsplit(target)
        try:
            query, refused = parse_query(split.query), None
        except GraphError as exc:
            query, refused = {}, exc
        record = RecordedRequest(method, split.path, query, at=time.monotonic())
        record.consistency_level = headers.get("ConsistencyLevel") if headers is not None else None
        self.requests.append(record)
        if refused is not None:
            return record, self._finish(self._error(refused, headers), headers)
        response = self._respond(record, target, headers, raw)
        return record, None if response is None else self._finish(response, headers)

    def _respond(self, record: RecordedRequest, target: str, headers: Any, raw: bytes) -> Response | None:
        path = record.path.removeprefix("/v1.0")  # routes and faults work relative to the version root
        try:
            record.body = json.loads(raw) if raw else None
        except ValueError:
            return self._error(GraphError(400, "BadRequest", "The request body is not valid JSON."), headers)
        if not record.path.startswith("/v1.0/"):
            return self._error(GraphError(400, "BadRequest", f"Invalid version in '{record.path}'."), headers)
        supplied = headers.get("Authorization") or ""
        if not hmac.compare_digest(supplied.encode(), f"Bearer {self._token}".encode()):
            message = "Access token is empty." if not supplied else "Access token validation failure."
            response = self._error(GraphError(401, "InvalidAuthenticationToken", message), headers)
            response.headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
            return response
        if self.faults.take("reset", path):
            return None
        if record.method == "POST" and path == "/$batch":
            result = self._guarded(lambda: run_batch(record.body, self.max_batch, self._serve_item, record,
                                                      reverse=self.faults.batch_out_of_order))  # fmt: skip
        else:
            result = self._serve_item(record)
        if result.status == 200 and isinstance(result.body, dict) and "value" in result.body:
            if self.faults.take("repeat", path):  # the page's nextLink points back at this very page
                result.body.pop("@odata.deltaLink", None)
                result.body["@odata.nextLink"] = self._ctx.base_url.removesuffix("/v1.0") + target
                result.body["value"] = result.body.pop("value")
            if self.faults.take("truncate", path):
                result.truncate = True
            if "@odata.nextLink" in result.body and self.faults.take("drop_next", path):
                del result.body["@odata.nextLink"]  # the page looks like the last: the rest is lost
        return result

    def _serve_item(self, record: RecordedRequest) -> Response:
        path = record.path.removeprefix("/v1.0")
        wait = self.faults.throttle(record.method, path, record.query)
        if wait is not None:
            response = self._error(GraphError(429, "TooManyRequests", "Too many requests. Retry later."), {})
            if wait != NO_HEADER:
                response.headers["Retry-After"] = str(wait)
            return response
        request = Request(record.method, path, record.query, record.body, record.consistency_level)

        def answer() -> Response:
            authorize(request.method, path, request.query, self._ctx.permissions, premium=self._ctx.premium)
            return self._ctx.dispatch(request)

        return self._guarded(answer)

    def _guarded(self, call: Any) -> Response:
        try:
            return call()
        except GraphError as exc:
            response = self._error(exc, {})
            response.headers.update(exc.headers)
            return response

    def _error(self, exc: GraphError, headers: Any) -> Response:
        client_id = headers.get("client-request-id") or str(uuid.uuid4())
        return Response(exc.status, error_body(exc.code, exc.message, str(uuid.uuid4()), client_id))

    def _finish(self, response: Response, headers: Any) -> Response:
        request_id = str(uuid.uuid4())
        response.headers.setdefault("request-id", request_id)
        response.headers.setdefault("client-request-id", headers.get("client-request-id") or request_id)
        response.headers["Content-Type"] = "application/json"
        if self.faults.throttle_limit_percentage is not None:
            response.headers["x-ms-throttle-limit-percentage"] = str(self.faults.throttle_limit_percentage)
        return response

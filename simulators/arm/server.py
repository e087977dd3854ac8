"""The HTTPS side: `TlsLocalServer` on 127.0.0.1 (ephemeral port) in front of the routes.

Order of checks, as ARM answers them: the bearer token (401), the api-version (400), throttling (429), then
the route (its own 403 / 404 / 400). Every answer carries `x-ms-request-id`, `x-ms-correlation-request-id`
(the client's `x-ms-client-request-id` when sent) and the remaining-requests header of its bucket.
"""

from __future__ import annotations

import hmac
import json
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from simulators.arm import authorization, resources
from simulators.arm.errors import ArmError, bad_request
from simulators.arm.faults import NO_HEADER, Faults
from simulators.arm.protocol import API_VERSION, Paging, Request, Response
from simulators.arm.scopes import subscription_of
from simulators.arm.state import ArmState
from simulators.arm.tls import TlsLocalServer, write_self_signed
from simulators.graph.tokens import TokenSigner
from simulators.transport import Reply, Service

AUTHZ = "/providers/microsoft.authorization/"
MISSING_HEADER = "Authentication failed. The 'Authorization' header is missing."


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    at: float
    status: int = 0


class ArmSimulator(Service):
    """Azure Resource Manager over an `ArmState`. Use as a context manager; `url` is the client's base URL
    and `ca_bundle` the certificate to trust (`connection_verify=` or REQUESTS_CA_BUNDLE)."""

    def __init__(
        self,
        state: ArmState | None = None,
        *,
        token: str = "test-token",  # noqa: S107 - the simulator's own bearer token, not a secret
    ) -> None:
        self.state = state or ArmState()
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self._token = token
        self._paging = Paging("", self.state.page_size, TokenSigner())  # lives across requests: snapshots
        self._dir: Path | None = None
        self._http: TlsLocalServer | None = None
        self._base_url = ""

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> ArmSimulator:
        self._dir = Path(tempfile.mkdtemp(prefix="arm-simulator-"))
        cert, key = write_self_signed(self._dir)
        self._http = TlsLocalServer(self._serve, "arm-simulator", cert, key)
        self._http.start()
        self._base_url = f"https://127.0.0.1:{self._http.port}"
        self._paging.base_url = self._base_url
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._dir is not None:
            shutil.rmtree(self._dir)
            self._dir = None

    @property
    def url(self) -> str:
        if not self._base_url or self._http is None:
            raise RuntimeError("the simulator is not started")
        return self._base_url

    @property
    def ca_bundle(self) -> str:
        if self._dir is None:
            raise RuntimeError("the simulator is not started")
        return str(self._dir / "arm-simulator.pem")

    def request_count(self, *, method: str | None = None, path_prefix: str | None = None) -> int:
        prefix = None if path_prefix is None else path_prefix.lower()
        return sum(
            1
            for r in list(self.requests)
            if (method is None or r.method == method)
            and (prefix is None or r.path.lower().startswith(prefix))
        )

    # ---- serving ----------------------------------------------------------------------------------
    def _serve(self, method: str, target: str, headers: Message, raw: bytes) -> Reply:
        record, response = self.handle(method, target, headers, raw)
        data = b"" if response.body is None else json.dumps(response.body, separators=(",", ":")).encode()
        if data:
            response.headers["Content-Type"] = "application/json; charset=utf-8"
        record.status = response.status  # before the answer leaves: a test may read it right after
        return Reply(response.status, data, response.headers)

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> tuple[RecordedRequest, Response]:
        split = urlsplit(target)
        path = unquote(split.path).rstrip("/")
        query = {k.lower(): v for k, v in parse_qsl(split.query, keep_blank_values=True)}
        record = RecordedRequest(method, path, query, at=time.monotonic())
        self.requests.append(record)
        try:
            response = self._respond(method, path, query, headers, raw)
        except ArmError as exc:
            response = Response(exc.status, exc.body(), dict(exc.headers))
        correlation = headers.get("x-ms-client-request-id") or str(uuid.uuid4())
        response.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        response.headers.setdefault("x-ms-correlation-request-id", correlation)
        return record, response

    def _respond(self, method: str, path: str, query: dict[str, str], headers: Any, raw: bytes) -> Response:
        self._authenticate(headers.get("Authorization") or "")
        version = query.get("api-version")
        if not version:
            raise bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not API_VERSION.match(version):
            raise bad_request("InvalidApiVersionParameter", f"The api-version '{version}' is invalid.")
        subscription = subscription_of(path)
        level = f"/subscriptions/{subscription.lower()}" if subscription else "tenant"
        header, left, wait = self.faults.spend(level, method)
        injected = self.faults.injected(path)
        if injected is not None or wait is not None:
            throttled = self._throttled(subscription, method, injected if injected is not None else wait)
            throttled.headers[header] = str(left)
            return throttled
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            raise bad_request(
                "InvalidRequestContent", "The request content was invalid and could not be deserialized."
            ) from None
        request = Request(method, path, query, body)
        with self.state.lock:
            response = self._dispatch(request)
        response.headers[header] = str(left)
        return response

    def _authenticate(self, supplied: str) -> None:
        if not supplied:
            challenge = (
                'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", '
                "error_description=\"The authentication failed because of missing 'Authorization' header.\""
            )
            raise ArmError(401, "AuthenticationFailed", MISSING_HEADER, {"WWW-Authenticate": challenge})
        if not hmac.compare_digest(supplied.encode(), f"Bearer {self._token}".encode()):
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.")

    def _throttled(self, subscription: str | None, method: str, wait: int | None) -> Response:
        kind = "read" if method == "GET" else "write"
        where = f"subscription '{subscription}'" if subscription else "tenant"
        seconds = "" if wait in (None, NO_HEADER) else f" Please try again after '{wait}' seconds."
        error = ArmError(
            429,
            "SubscriptionRequestsThrottled" if subscription else "TenantRequestsThrottled",
            f"Number of '{kind}' requests for {where} actor '{self.state.caller_id}' exceeded.{seconds}",
        )
        response = Response(429, error.body())
        if wait not in (None, NO_HEADER):
            response.headers["Retry-After"] = str(wait)
        return response

    def _dispatch(self, request: Request) -> Response:
        paging = self._paging
        paging.page_size = self.state.page_size
        lowered = request.lowered
        at = lowered.find(AUTHZ)
        if at >= 0:
            rest = request.path[at + len(AUTHZ) :].split("/")
            kind = rest[0].lower()
            if kind not in authorization.KINDS or len(rest) > 2:
                raise ArmError(
                    404, "InvalidResourceType", f"The resource type '{rest[0]}' could not be found."
                )
            name = rest[1] if len(rest) == 2 else None
            return authorization.route(self.state, paging, request, request.path[:at], kind, name)
        if request.method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"The method '{request.method}' is not supported here.")
        parts = request.path.split("/")[1:] if request.path else []
        low = [p.lower() for p in parts]
        if low == ["subscriptions"]:
            return resources.list_subscriptions(self.state, paging, request)
        if len(low) >= 2 and low[0] == "subscriptions":
            if len(low) == 2:
                return resources.get_subscription(self.state, request, parts[1])
            if len(low) == 3 and low[2] == "resources":
                return resources.list_resources(self.state, paging, request, parts[1], None)
            if len(low) == 3 and low[2] == "resourcegroups":
                return resources.list_resource_groups(self.state, paging, request, parts[1])
            if len(low) == 4 and low[2] == "resourcegroups":
                return resources.get_resource_group(self.state, request, parts[1], parts[3])
            if len(low) == 5 and low[2] == "resourcegroups" and low[4] == "resources":
                return resources.list_resources(self.state, paging, request, parts[1], parts[3])
            if len(low) >= 7 and low[2] == "resourcegroups" and low[4] == "providers":
                return resources.get_generic(self.state, paging, request)
        raise ArmError(404, "NotFound", f"The path '{request.path}' is not served by this simulator.")

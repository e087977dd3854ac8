"""HTTP mode: Slack's events, interactivity and slash commands on one path (`/slack/events`, Bolt's
default), `GET /healthz` (under serve, the live checks of `recertify doctor`: 503 with the failing ones as
JSON) and `GET /metrics` (ops/metrics.py), served by a threaded WSGI server from the
standard library. In Socket Mode, `OpsServer` serves only the last two (`serve --metrics-port`).

Bolt verifies every signature itself. In front of it, requests whose signature headers are malformed (missing,
empty, not ASCII digits, absurdly long) are answered 401 without reaching Bolt, so no odd header can turn
into a 5xx, and bodies over `MAX_BODY` get 413 before they are read. The signature is also checked here, on
the raw bytes with Bolt's own verifier and secret, before Bolt sees the request: Bolt parses a body before
it verifies it (an unsigned body that is not JSON would be a 500) and logs the whole body of a request
whose signature fails. A signed body that Bolt could not parse into an object (a form whose `payload` is not
a JSON object, a JSON body that is not one) is answered 400. Nothing here logs a body or a header.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack's payloads are far smaller; a modal submission is a few KB
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$", re.ASCII)
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$", re.ASCII)

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Metrics = Callable[[], tuple[int, str, bytes]]  # GET /metrics: status, content type, body
HealthReport = Callable[[], tuple[bool, dict[str, object]]]  # the live checks: healthy, the JSON body


def wsgi_app(
    bolt: App,
    *,
    signing_secret: str,
    ready: Callable[[], bool],
    metrics: Metrics | None = None,
    health: HealthReport | None = None,
) -> Wsgi:
    """`signing_secret`: the one the Bolt app verifies with too (we check first, on the raw bytes).
    `metrics`: None serves no /metrics here (404). `health`: the live checks' report (serve's), which
    /healthz answers once ready: 200 or 503 with a JSON body naming the failing checks."""
    slack = SlackRequestHandler(bolt, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None  # None: refuse all

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        operational = _operational(start_response, path, method, ready, metrics, health)
        if operational is not None:
            return operational
        if path != EVENTS_PATH:
            return _reply(start_response, 404, b"not found")
        if method != "POST":
            return _reply(start_response, 405, b"method not allowed")
        length = environ.get("CONTENT_LENGTH") or "0"
        if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY:
            return _reply(start_response, 413, b"payload too large")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not _TIMESTAMP.match(timestamp) or not _SIGNATURE.match(signature):
            return _reply(start_response, 401, b"")
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # for Bolt to read again
        if verifier is None or not _signed(verifier, body, timestamp, signature):
            return _reply(start_response, 401, b"")
        if not _parses(body, environ.get("CONTENT_TYPE")):
            return _reply(start_response, 400, b"unreadable payload")
        return slack(environ, start_response)

    return application


def ops_app(*, ready: Callable[[], bool], metrics: Metrics, health: HealthReport | None = None) -> Wsgi:
    """`/healthz` and `/metrics` only (Socket Mode has no Slack path to serve)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        answer = _operational(start_response, path, method, ready, metrics, health)
        return answer if answer is not None else _reply(start_response, 404, b"not found")

    return application


def _operational(
    start_response: Callable[..., Any],
    path: str,
    method: str,
    ready: Callable[[], bool],
    metrics: Metrics | None,
    health: HealthReport | None = None,
) -> list[bytes] | None:
    """The answer to /healthz or /metrics; None for any other path."""
    if path == "/healthz":
        if method != "GET":
            return _reply(start_response, 405, b"method not allowed")
        if not ready():
            return _reply(start_response, 503, b"starting")
        if health is None:
            return _reply(start_response, 200, b"ok")
        healthy, report = health()
        payload = json.dumps(report, separators=(",", ":")).encode()
        return _reply(start_response, 200 if healthy else 503, payload, content_type="application/json")
    if path == "/metrics" and metrics is not None:
        if method != "GET":
            return _reply(start_response, 405, b"method not allowed")
        status, content_type, body = metrics()
        return _reply(start_response, status, body, content_type=content_type)
    return None


def _signed(verifier: SignatureVerifier, body: bytes, timestamp: str, signature: str) -> bool:
    try:
        return verifier.is_valid(body, timestamp, signature)
    except UnicodeDecodeError:  # slack_sdk hashes the body decoded as UTF-8; Slack sends nothing else
        return False


def _parses(body: bytes, content_type: str | None) -> bool:
    """Whether Bolt can parse the body (as it does: a form, a form's `payload`, or JSON) into an object."""
    try:
        parsed = parse_body(body.decode("utf-8"), content_type.split(";")[0] if content_type else None)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested beyond the parser
        return False
    return isinstance(parsed, dict)


def _reply(
    start_response: Callable[..., Any],
    status: int,
    body: bytes,
    *,
    content_type: str = "text/plain; charset=utf-8",
) -> list[bytes]:
    reason = {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Payload Too Large",
        503: "Service Unavailable",
    }[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow client never holds the process open at shutdown
    allow_reuse_address = True
    # Slack opens a new connection per request and a campaign's reviewers press at once: the stdlib's
    # listen backlog of 5 dropped or reset half of 50 concurrent presses (bench/slack.py).
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's name)
        logger.debug("http %s", format % args)  # the request line only: never a body or a header


class _Server:
    """A threaded WSGI server; `port=0` picks a free port (tests)."""

    def __init__(self, application: Wsgi, *, host: str, port: int) -> None:
        self._server = make_server(
            host, port, application, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # noqa: S101  (an IPv4/IPv6 server address, never bytes)
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name="recertify-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


class BotServer(_Server):
    """`serve --http PORT [--host HOST]`: Slack, /healthz and (with `metrics`) /metrics."""

    def __init__(
        self,
        bolt: App,
        *,
        signing_secret: str,
        host: str,
        port: int,
        ready: Callable[[], bool],
        metrics: Metrics | None = None,
        health: HealthReport | None = None,
    ) -> None:
        application = wsgi_app(
            bolt, signing_secret=signing_secret, ready=ready, metrics=metrics, health=health
        )
        super().__init__(application, host=host, port=port)


class OpsServer(_Server):
    """`serve --metrics-port PORT [--host HOST]`: /healthz and /metrics only."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        ready: Callable[[], bool],
        metrics: Metrics,
        health: HealthReport | None = None,
    ) -> None:
        super().__init__(ops_app(ready=ready, metrics=metrics, health=health), host=host, port=port)

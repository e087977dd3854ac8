"""A local HTTP proxy in front of a moto server that answers the first request of each named operation with
the throttling error AWS would send, and forwards everything else (including the retry) unchanged. It also
counts every operation it forwards (how many writes AWS received), can slow named operations down (so a
test can kill a process in the middle of a batch), and can answer named operations with a fixed `Answer`
every time (a 500 with an HTML page, a 200 with a body that is not XML, an AccessDenied), as a broken
endpoint or a proxy in front of AWS would.

Operations are named as AWS names them: the X-Amz-Target suffix (JSON protocols), the Action (query
protocol), or, for REST protocols, "METHOD /path" (e.g. "GET /v20180820/configuration/publicAccessBlock").

Why not a Stubber: a Stubber answers before botocore's retry handler and its parsers run, so it cannot show
that the client's retry configuration absorbs throttling, nor what botocore makes of a body it cannot parse.
moto has no fault injection, hence this proxy.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

_HOP_BY_HOP = {"connection", "transfer-encoding", "content-length", "keep-alive"}
_QUERY_ERROR = (
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
    "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>throttled</RequestId>"
    "</ErrorResponse>"
)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


class ThrottlingProxy:
    def __init__(
        self,
        upstream: str,
        operations: Iterable[str] = (),
        delays: Mapping[str, float] | None = None,
        answers: Mapping[str, Answer] | None = None,
        json_denials: bool = False,
    ) -> None:
        """`json_denials`: moto answers an IAM refusal of a JSON-protocol call (DynamoDB, KMS, …) with its
        query-protocol XML and HTTP 403; AWS sends JSON, e.g. DynamoDB's "AccessDeniedException … HTTP
        Status Code: 400" (DynamoDB API Reference, Common Errors). With it, the proxy rewrites such answers
        into that documented shape."""
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.pending = set(operations)
        self.throttled: list[str] = []
        self.delays = dict(delays or {})  # operation → seconds to wait before forwarding it
        self.answers = dict(answers or {})  # operation → what to answer instead of forwarding, every time
        self.json_denials = json_denials
        self.answered: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def claim(self, operation: str) -> bool:
        """Whether this request is the one to throttle (the first of its operation)."""
        with self._lock:
            if operation in self.pending:
                self.pending.discard(operation)
                self.throttled.append(operation)
                return True
            return False

    def count(self, operation: str) -> int:
        with self._lock:
            return self.forwarded[operation]

    def record_forwarded(self, operation: str) -> None:
        with self._lock:
            self.forwarded[operation] += 1

    def __enter__(self) -> ThrottlingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass  # quiet: the test asserts on what was throttled

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        proxy: ThrottlingProxy = self.server.proxy  # type: ignore[attr-defined]
        operation = self._operation(body)
        if proxy.claim(operation):
            self._throttle()
        elif operation in proxy.answers:
            answer = proxy.answers[operation]
            with proxy._lock:
                proxy.answered[operation] += 1
            self._reply(answer.status, {"Content-Type": answer.content_type}, answer.body)
        else:
            time.sleep(proxy.delays.get(operation, 0.0))
            proxy.record_forwarded(operation)
            self._forward(proxy, body)

    def _operation(self, body: bytes) -> str:
        target = self.headers.get("X-Amz-Target")  # JSON protocols: "Service_20xx.Operation"
        if target:
            return target.rsplit(".", 1)[-1]
        form = parse_qs(body.decode("utf-8", "replace"))  # query protocol (IAM, STS, RDS): Action=…
        action = form.get("Action", [""])[0]
        return action or f"{self.command} {urlsplit(self.path).path}"  # REST (S3, S3 Control)

    def _throttle(self) -> None:
        if self.headers.get("X-Amz-Target"):
            payload = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            self._reply(400, {"Content-Type": "application/x-amz-json-1.1"}, payload)
        else:
            self._reply(400, {"Content-Type": "text/xml"}, _QUERY_ERROR.encode())

    def _forward(self, proxy: ThrottlingProxy, body: bytes) -> None:
        connection = http.client.HTTPConnection(*proxy.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
        if proxy.json_denials and self.headers.get("X-Amz-Target") and response.status == 403:
            message = payload.decode("utf-8", "replace").split("<Message>")[-1].split("</Message>")[0]
            denial = {"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message}
            self._reply(400, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(denial).encode())
            return
        self._reply(response.status, kept, payload)

    def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

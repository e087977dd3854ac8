"""A small HTTP/1.1 server on 127.0.0.1 (ephemeral port) that hands each request to an `App` callable.

Shared by the simulators; the house rules: keep-alive (one connection per client pool), Nagle off, headers
and body in one write, and stopping shuts every open connection down and joins its thread, so a stopped
server leaves no thread and no socket behind. An app may answer None to reset the connection (RST, no
answer). It knows nothing of Graph or Slack.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


# (HTTP method, target, headers, body) → the reply, or None to reset the connection
App = Callable[[str, str, Message, bytes], Reply | None]


class Service:
    """A simulator's lifecycle: `start()` / `stop()`, and the context manager that calls them."""

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class LocalServer:
    def __init__(self, app: App, name: str) -> None:
        self._app = app
        self._name = name
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.server_address[1])

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the server is already started")
        self._server = _Server(self._app)
        self._thread = threading.Thread(  # a short poll, so stop() returns within 50 ms
            target=self._server.serve_forever, args=(0.05,), name=self._name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection per client pool, not per request
    disable_nagle_algorithm = True  # small answers must not wait for the client's delayed ACK
    timeout = 120  # an idle keep-alive connection is closed after this many seconds
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 — BaseHTTPRequestHandler's naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        reply = self.server.app(self.command, self.path, self.headers, raw)
        if reply is None:  # reset: RST instead of an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        head = [
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            f"Date: {self.date_time_string()}",
        ]
        head += [f"{name}: {value}" for name, value in reply.headers.items()]
        head.append(f"Content-Length: {len(reply.body)}")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + reply.body)  # one write

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — keep request lines out of logs
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: App) -> None:
        self.app = app
        self._open: dict[socket.socket, threading.Thread] = {}
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that went away is no error of ours
            super().handle_error(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._serve_connection, args=(request, client_address), daemon=True)
        with self._open_lock:
            self._open[request] = thread
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.pop(request, None)

    def close_connections(self) -> None:
        with self._open_lock:
            open_now = list(self._open.items())
        for sock, _ in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked on an idle keep-alive read
            except OSError:
                pass
        for _, thread in open_now:
            thread.join(timeout=5)

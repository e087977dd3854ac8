"""Socket Mode: a small WebSocket endpoint speaking Slack's envelopes, and `apps.connections.open`.

As Slack documents it (docs.slack.dev/apis/events-api/using-socket-mode):

- `apps.connections.open` (Tier 1, app-level `xapp-` token; a bot token is `not_allowed_token_type`)
  answers `{"ok": true, "url": "ws://127.0.0.1:<port>/link/?ticket=…&app_id=…"}` (Slack: `wss://…`); a
  ticket opens one connection. Without `socket_mode=True` on the simulator it answers HTTP 501
  `not_supported_by_simulator`.
- On connecting the client receives `{"type": "hello", "num_connections": n, "debug_info": {…},
  "connection_info": {"app_id": …}}`.
- `deliver(outgoing)` wraps an `Outgoing` (see `outgoing.py`) in an envelope `{"envelope_id", "type":
  "events_api" | "interactive" | "slash_commands", "payload", "accepts_response_payload"` (true for slash
  commands and view submissions), and for events `"retry_attempt", "retry_reason"}`, sends it on one open
  connection, and waits up to 3 s for the client's `{"envelope_id": …, "payload": …}` ack, returned as a
  `SocketAck` and applied like an HTTP ack (the ack's `payload` plays the HTTP body).
- `disconnect(reason)` sends `{"type": "disconnect", "reason": …}` ("warning", "refresh_requested",
  "link_disabled") and closes the connections; Slack clients then reconnect through apps.connections.open.

WebSocket (RFC 6455) as far as Slack's clients need it: the upgrade handshake, text frames (fragmented or
not) from the client, masked as clients must; ping → pong; close. Nothing is compressed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulators.slack.methods import ApiError, Call, method
from simulators.slack.outgoing import ACK_DEADLINE_S, JSON_TYPE, Outgoing
from simulators.slack.workspace import SlackWorkspace

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


@method("apps.connections.open", tier=1, auth="app")
def apps_connections_open(call: Call) -> dict[str, Any]:
    if call.socket_url is None:
        raise ApiError("not_supported_by_simulator", status=501)
    return {"url": call.socket_url()}


@dataclass(frozen=True)
class SocketAck:
    envelope_id: str
    acked: bool  # an ack with this envelope id arrived within the deadline
    payload: Any  # the ack's `payload` (None when the ack had none)
    elapsed: float
    ack_problem: str | None = None  # as `Delivery.ack_problem`


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.send_lock = threading.Lock()
        self.open = True

    def send_text(self, text: str) -> None:
        self.send_frame(_TEXT, text.encode())

    def send_frame(self, opcode: int, data: bytes) -> None:
        head = bytes([0x80 | opcode])
        n = len(data)
        if n < 126:
            head += bytes([n])
        elif n < 1 << 16:
            head += bytes([126]) + struct.pack("!H", n)
        else:
            head += bytes([127]) + struct.pack("!Q", n)
        with self.send_lock:
            self.sock.sendall(head + data)

    def read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._exact(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        masked, n = bool(second & 0x80), second & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._exact(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._exact(8))
        mask = self._exact(4) if masked else b""
        data = self._exact(n)
        if masked:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return fin, opcode, data

    def close(self) -> None:
        self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _exact(self, n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = self.sock.recv(n - got)
            if not chunk:
                raise ConnectionError("closed")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


class SocketModeServer:
    def __init__(self, workspace: SlackWorkspace, app_token: str) -> None:
        self.workspace = workspace
        self.app_token = app_token
        self.received: list[Any] = []  # every message a client sent (acks included), decoded
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._connections: list[_Connection] = []
        self._tickets: set[str] = set()
        self._acks: dict[str, tuple[Any, float]] = {}
        self._cond = threading.Condition()
        self._next = 0

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)
        self._listener = listener
        thread = threading.Thread(target=self._accept, name="slack-socket-mode", daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._cond:
            connections = list(self._connections)
        for conn in connections:
            conn.close()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._threads.clear()

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("Socket Mode is not started")
        return int(self._listener.getsockname()[1])

    def url(self) -> str:
        """A fresh connection URL with a one-time ticket (what apps.connections.open answers)."""
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.workspace.app_id}"

    @property
    def connections(self) -> int:
        with self._cond:
            return sum(1 for c in self._connections if c.open)

    def wait_for_connection(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not any(c.open for c in self._connections):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no Socket Mode client connected")
                self._cond.wait(left)

    # ---- delivering -------------------------------------------------------------------------------
    def envelope(self, outgoing: Outgoing, envelope_id: str | None = None) -> dict[str, Any]:
        kind = outgoing.kind
        accepts = kind == "slash_commands" or outgoing.payload.get("type") == "view_submission"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "payload": outgoing.payload,
            "type": kind,
            "accepts_response_payload": accepts,
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": outgoing.retry_num, "retry_reason": outgoing.retry_reason}
        return envelope

    def deliver(self, outgoing: Outgoing, *, timeout: float = ACK_DEADLINE_S) -> SocketAck:
        envelope = self.envelope(outgoing)
        envelope_id = envelope["envelope_id"]
        started = time.monotonic()
        self._pick().send_text(json.dumps(envelope, separators=(",", ":"), ensure_ascii=False))
        deadline = started + timeout
        with self._cond:
            while envelope_id not in self._acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return SocketAck(envelope_id, False, None, time.monotonic() - started, "no ack in time")
                self._cond.wait(left)
            payload, at = self._acks.pop(envelope_id)
        problem = None
        if outgoing.on_ack is not None:
            body = b"" if payload is None else json.dumps(payload).encode()
            problem = outgoing.on_ack(200, {"content-type": JSON_TYPE}, body)
        return SocketAck(envelope_id, True, payload, at - started, problem)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        with self._cond:
            connections = [c for c in self._connections if c.open]
        for conn in connections:
            try:
                conn.send_text(json.dumps({"type": "disconnect", "reason": reason, "debug_info": _DEBUG}))
            except OSError:
                pass
            conn.close()

    # ---- serving ----------------------------------------------------------------------------------
    def _pick(self) -> _Connection:
        with self._cond:
            live = [c for c in self._connections if c.open]
            if not live:
                raise ConnectionError("no Socket Mode client is connected")
            self._next += 1
            return live[self._next % len(live)]

    def _accept(self) -> None:
        while True:
            listener = self._listener
            if listener is None:
                return
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            thread = threading.Thread(target=self._serve, args=(sock,), name="slack-socket-conn", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        conn = _Connection(sock)
        try:
            if not self._handshake(conn):
                conn.close()
                return
            with self._cond:
                self._connections.append(conn)
                count = sum(1 for c in self._connections if c.open)
                self._cond.notify_all()
            hello = {
                "type": "hello",
                "num_connections": count,
                "debug_info": _DEBUG | {"approximate_connection_time": 18060},
                "connection_info": {"app_id": self.workspace.app_id},
            }
            conn.send_text(json.dumps(hello))
            self._read(conn)
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            conn.close()
            with self._cond:
                self._cond.notify_all()

    def _handshake(self, conn: _Connection) -> bool:
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = conn.sock.recv(4096)
            if not chunk:
                return False
            raw += chunk
            if len(raw) > 65536:
                return False
        head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        target = head[0].split(" ")[1] if len(head[0].split(" ")) > 1 else "/"
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
        ticket = (parse_qs(urlsplit(target).query).get("ticket") or [""])[0]
        with self._cond:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        key = headers.get("sec-websocket-key")
        if not valid or key is None or headers.get("upgrade", "").lower() != "websocket":
            conn.sock.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()  # noqa: S324
        conn.sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        return True

    def _read(self, conn: _Connection) -> None:
        pieces: list[bytes] = []
        while conn.open:
            fin, opcode, data = conn.read_frame()
            if opcode == _PING:
                conn.send_frame(_PONG, data)
            elif opcode == _CLOSE:
                try:
                    conn.send_frame(_CLOSE, data[:2])
                except OSError:
                    pass
                return
            elif opcode in (_TEXT, 0x0):
                pieces.append(data)
                if fin:
                    self._received(b"".join(pieces))
                    pieces = []

    def _received(self, data: bytes) -> None:
        try:
            message = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return
        with self._cond:
            self.received.append(message)
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                self._acks[message["envelope_id"]] = (message.get("payload"), time.monotonic())
                self._cond.notify_all()


_DEBUG = {"host": "applink-simulator", "build_number": 1}

"""Opaque, signed paging and delta tokens.

A token is base64url(JSON state) + "." + a truncated HMAC under a key of this simulator instance: clients
cannot read offsets in plain sight nor forge or edit a token, and tokens from another instance are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:12])

    def dump(self, state: dict[str, Any]) -> str:
        payload = _b64(json.dumps(state, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def load(self, token: str) -> dict[str, Any] | None:
        """The state, or None when the token is malformed, edited or not ours."""
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            state = json.loads(_unb64(payload))
        except ValueError:
            return None
        return state if isinstance(state, dict) else None

"""Logs of `recertify serve`: one JSON object per line (or plain text on a terminal), never a secret.

Standard library only: a Formatter for each format and a Filter that redacts. The filter sits on the one
handler installed on the root logger, so it sees every record that is written, whichever library logged it
(Bolt, slack_sdk, APScheduler, azure, ours), and rewrites it before any formatter runs:

- the configured secrets, by value (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
  RECERTIFY_GRAPH_TOKEN, AZURE_CLIENT_SECRET and the database password), also URL-encoded;
- anything shaped like a secret: Slack tokens (`xoxb-…`, `xoxp-…`, any `xox?-`), app-level tokens
  (`xapp-…`), `Bearer …`, the password of a `scheme://user:password@host` URL, `password=…`, and the
  `ticket=…` of a Socket Mode URL.

The message (with its arguments), the exception text, the stack and every extra field are redacted; what a
record carried is replaced by `[redacted]`. Values shorter than 4 characters are not matched by value (they
would blank out ordinary words); the patterns still apply to them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config import LoadedConfig

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 4
_PATTERNS = (
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), REDACTED),  # Slack bot, user, config… tokens
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), REDACTED),  # Slack app-level tokens (Socket Mode)
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), rf"\g<1>{REDACTED}"),
    (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)[^@\s/]+(@)"), rf"\g<1>{REDACTED}\g<2>"),
    (re.compile(r"(?i)\b(password=)[^\s&;,'\"]+"), rf"\g<1>{REDACTED}"),
    # The one-use ticket of a Socket Mode WebSocket URL (slack_sdk logs apps.connections.open's answer).
    (re.compile(r"(?i)\b(ticket=)[^\s&;,'\"]+"), rf"\g<1>{REDACTED}"),
)
# What every LogRecord has; anything else on a record came as `extra=` and is written as a field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class LogFormat(StrEnum):
    auto = "auto"  # json, unless stderr is a terminal
    json = "json"
    text = "text"


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {v for s in secrets if len(s) >= MIN_SECRET_LENGTH for v in (s, quote(s, safe=""))}
        ordered = sorted(values, key=len, reverse=True)  # a secret containing another is removed whole
        self._values = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    def __call__(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(REDACTED, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def value(self, value: Any) -> Any:
        """Strings redacted, containers walked; other values as they are."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self(str(value))


class RedactingFilter(logging.Filter):
    """Rewrites each record in place (so every handler and formatter sees it redacted); drops nothing."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # an argument that does not format must not write the raw arguments either
            message = f"{record.msg} [unformattable arguments]"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key in extra_fields(record):
            setattr(record, key, self.redact.value(getattr(record, key)))
        return True


def extra_fields(record: logging.LogRecord) -> list[str]:
    return [key for key in record.__dict__ if key not in _STANDARD and not key.startswith("_")]


class JsonFormatter(logging.Formatter):
    """One object per line: time (UTC, ISO 8601, milliseconds), level, logger, message, the extra fields,
    and `exception` / `stack` when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in extra_fields(record):
            line.setdefault(key, getattr(record, key))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


def _iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`time level logger: message key=value…` for people at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  (the stdlib's name)
        fields = " ".join(f"{key}={getattr(record, key)!r}" for key in extra_fields(record))
        return super().formatMessage(record) + (f" {fields}" if fields else "")


def configure_logging(
    log_format: LogFormat,
    *,
    level: LogLevel = LogLevel.info,
    secrets: Iterable[str] = (),
    stream: Any = None,
) -> logging.Handler:
    """Replace the root logger's handlers with one on `stream` (stderr by default), redacting. Returns it."""
    stream = sys.stderr if stream is None else stream
    if log_format is LogFormat.auto:
        log_format = LogFormat.text if stream.isatty() else LogFormat.json
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.json else TextFormatter())
    handler.addFilter(RedactingFilter(Redactor(secrets)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.value.upper())
    return handler


def configured_secrets(config: LoadedConfig) -> list[str]:
    """Every secret value the configuration holds: the environment's secrets and the database password."""
    fields = (getattr(config.secrets, name) for name in type(config.secrets).model_fields)
    values = [field.get_secret_value() for field in fields if isinstance(field, SecretStr)]
    try:
        password = make_url(config.settings.database.url).password
    except ArgumentError:
        password = None
    if password:
        values.append(str(password))
    return [value for value in values if value]

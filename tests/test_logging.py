"""`recertify serve`'s logs: one JSON object per line, and never a secret, whoever logged it and however (in
the message, its arguments, an extra field, an exception, a stack)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from config import load_settings
from config_logging import (
    REDACTED,
    LogFormat,
    LogLevel,
    Redactor,
    configure_logging,
    configured_secrets,
)

BOT = "xoxb-1234-5678-abcdefABCDEF"  # noqa: S105  (made up, shaped as Slack's)
SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105
APP = "xapp-1-A0123-4567-89abcdef"  # noqa: S105
CLIENT_SECRET = "Qw8~zY.secret-of-the-app-registration"  # noqa: S105
DB_PASSWORD = "s3cr3t/pa:ss"  # noqa: S105  (characters that URL-encode)


@pytest.fixture
def root() -> Iterator[None]:
    """configure_logging replaces the root logger's handlers: put pytest's back afterwards."""
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    yield
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name, value in {
        "SLACK_BOT_TOKEN": BOT,
        "SLACK_SIGNING_SECRET": SIGNING,
        "SLACK_APP_TOKEN": APP,
        "AZURE_CLIENT_SECRET": CLIENT_SECRET,
        "RECERTIFY_DATABASE_URL": "postgresql+psycopg://recertify:s3cr3t%2Fpa%3Ass@db.internal/recertify",
    }.items():
        monkeypatch.setenv(name, value)
    return configured_secrets(load_settings(None))


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_configured_secrets_include_the_database_password(secrets: list[str]) -> None:
    assert set(secrets) == {BOT, SIGNING, APP, CLIENT_SECRET, DB_PASSWORD}


def test_every_secret_is_redacted_wherever_it_appears(root: None, secrets: list[str]) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.json, secrets=secrets, stream=stream)
    log = logging.getLogger("some_library.client")  # any logger: the filter sits on the handler
    log.info("token %s and signing secret %s", BOT, SIGNING)
    log.warning("socket mode with %s", APP, extra={"headers": {"Authorization": f"Bearer {CLIENT_SECRET}"}})
    log.error("connect to %s failed", f"postgresql+psycopg://recertify:{DB_PASSWORD}@db.internal/recertify")
    log.info("encoded: postgresql://recertify:s3cr3t%2Fpa%3Ass@db/recertify")
    try:
        raise RuntimeError(f"Graph refused {CLIENT_SECRET}")
    except RuntimeError:
        log.exception("sync failed", extra={"attempt": 2})
    log.info("stack", stack_info=True, extra={"token": BOT})
    written = stream.getvalue()
    for secret in (BOT, SIGNING, APP, CLIENT_SECRET, DB_PASSWORD, "s3cr3t%2Fpa%3Ass"):
        assert secret not in written, secret
    records = lines(stream)
    assert [r["message"] for r in records[:2]] == [
        f"token {REDACTED} and signing secret {REDACTED}",
        f"socket mode with {REDACTED}",
    ]
    assert records[1]["headers"] == {"Authorization": f"Bearer {REDACTED}"}
    assert (
        records[2]["message"]
        == f"connect to postgresql+psycopg://recertify:{REDACTED}@db.internal/recertify failed"
    )
    assert records[3]["message"] == f"encoded: postgresql://recertify:{REDACTED}@db/recertify"
    assert records[4]["attempt"] == 2 and f"RuntimeError: Graph refused {REDACTED}" in records[4]["exception"]
    assert records[5]["token"] == REDACTED and "stack" in records[5]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.JSUzI1NiJ9-_x==",
            f"Authorization: Bearer {REDACTED}",
        ),
        (
            "bot token xoxb-9999-8888-ZZZZ, user token xoxp-1-2-3",
            f"bot token {REDACTED}, user token {REDACTED}",
        ),
        ("app token xapp-1-A1-2-ff", f"app token {REDACTED}"),
        ("https://admin:hunter22@proxy.example:8080/x", f"https://admin:{REDACTED}@proxy.example:8080/x"),
        (
            "dsn host=db user=rt password=hunter22 dbname=rt",
            f"dsn host=db user=rt password={REDACTED} dbname=rt",
        ),
        ("GET /login?user=a&password=hunter22&next=/", f"GET /login?user=a&password={REDACTED}&next=/"),
        (
            "wss://wss.slack.example/link/?ticket=5c1d-9e&app_id=A1",
            f"wss://wss.slack.example/link/?ticket={REDACTED}&app_id=A1",
        ),
        ("http://127.0.0.1:8080/healthz and https://graph.microsoft.com/v1.0/users", None),  # nothing secret
    ],
)
def test_what_looks_like_a_secret_is_redacted_even_when_not_configured(
    message: str, expected: str | None
) -> None:
    assert Redactor()(message) == (message if expected is None else expected)


def test_short_values_are_not_matched_by_value_but_patterns_still_apply() -> None:
    redact = Redactor(["abc", "long-enough"])
    assert redact("abc and long-enough") == f"abc and {REDACTED}"


def test_one_json_object_per_line_with_time_level_logger_message_and_extras(root: None) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.auto, level=LogLevel.info, stream=stream)  # not a terminal: json
    logging.getLogger("recertify.serve").info("serve started\nsecond line", extra={"mode": "http"})
    logging.getLogger("recertify.serve").debug("below the level")
    (record,) = lines(stream)
    assert record["level"] == "info" and record["logger"] == "recertify.serve" and record["mode"] == "http"
    assert record["message"] == "serve started\nsecond line"  # one line on the wire, whatever the message
    assert record["time"].endswith("Z") and "T" in record["time"]


def test_text_format_for_people(root: None) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.text, secrets=[BOT], stream=stream)
    logging.getLogger("scheduler.service").warning("lost the lease with %s", BOT, extra={"holder": "vm:1"})
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(f"WARNING scheduler.service: lost the lease with {REDACTED} holder='vm:1'")


def test_a_message_whose_arguments_do_not_format_is_still_written_redacted(root: None) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.json, secrets=[BOT], stream=stream)
    logging.getLogger("x").info(f"token {BOT} %s %s", "only one")
    (record,) = lines(stream)
    assert record["message"] == f"token {REDACTED} %s %s [unformattable arguments]"

"""fetch when AWS (or whatever answers in its place) sends something unexpected: a 500 whose body is an HTML
page, a 200 whose body is not XML. The read ends with one line naming the call, the account and, for a
regional call, the region; never a traceback, never a partial inventory.

Real boto3 clients talk to real HTTP servers on 127.0.0.1: a tiny one here that answers every request the
same way, and the proxy of throttling.py in front of a moto server that answers one operation wrongly and
forwards the rest. No Stubber: what is tested is what botocore's own parsers make of such bodies (a
ClientError whose code is the HTTP status; a ResponseParserError, which is not a BotoCoreError).
AWS_MAX_ATTEMPTS (the SDK's own variable, honoured by accounts.py) keeps botocore's retries of a 500 short.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from connectors.aws.accounts import open_sessions
from connectors.aws.errors import aws_call
from connectors.aws.fetch import fetch_inventory
from connectors.aws.settings import AwsSettings
from reviews.errors import SourceUnavailable
from tests.connectors.aws.fetching import NOW
from tests.connectors.aws.throttling import Answer, ThrottlingProxy
from tests.data.aws import world
from tests.data.aws.world import CALLER, REGION

SETTINGS = AwsSettings(regions=[REGION], identity_center=False)
HTML_500 = Answer(
    500,
    "text/html",
    b"<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\n<center><h1>500 Internal Server"
    b" Error</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n",
)
GARBAGE_200 = Answer(200, "application/xml", b"\x00\x01 this is not <xml at all")


class _Always(BaseHTTPRequestHandler):
    answer: Answer
    requests = 0

    def _handle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).requests += 1
        self.send_response(self.answer.status)
        self.send_header("Content-Type", self.answer.content_type)
        self.send_header("Content-Length", str(len(self.answer.body)))
        self.end_headers()
        self.wfile.write(self.answer.body)

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def broken_endpoint(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[type[_Always]]:
    handler = type("Handler", (_Always,), {"answer": request.param, "requests": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("broken_endpoint", "says", "attempts"),
    [
        (HTML_500, "an unexpected answer from AWS (HTTP 500: Internal Server Error)", 2),
        (GARBAGE_200, "AWS sent an answer that could not be parsed", 1),
    ],
    indirect=["broken_endpoint"],
    ids=["500 with an HTML page", "200 with a body that is not XML"],
)
def test_an_endpoint_that_answers_nonsense_ends_the_read_in_one_line(
    broken_endpoint: type[_Always], says: str, attempts: int
) -> None:
    """The first call (sts:GetCallerIdentity) meets the broken endpoint. A 500 is retried by the client
    (standard mode retries 5xx) as often as AWS_MAX_ATTEMPTS allows; an unparseable 200 is not retried."""
    with pytest.raises(SourceUnavailable) as raised:
        open_sessions(SETTINGS)

    assert str(raised.value) == f"aws: account (unknown): sts:GetCallerIdentity: {says} (will retry)"
    assert "\n" not in str(raised.value) and "<" not in str(raised.value)
    assert broken_endpoint.requests == attempts


@pytest.mark.parametrize(
    ("operation", "answer", "call", "says"),
    [
        (
            "DescribeTable",
            HTML_500,
            f"dynamodb:DescribeTable cases in {REGION}",
            "an unexpected answer from AWS (HTTP 500: Internal Server Error)",
        ),
        (
            "GET /v20180820/configuration/publicAccessBlock",
            GARBAGE_200,
            f"s3:GetAccountPublicAccessBlock in {REGION}",
            "AWS sent an answer that could not be parsed",
        ),
    ],
    ids=["DynamoDB (JSON) 500 with HTML", "S3 Control (REST-XML) 200 with garbage"],
)
def test_a_regional_call_answered_with_nonsense_names_call_account_and_region(
    moto_server: str, monkeypatch: pytest.MonkeyPatch, operation: str, answer: Answer, call: str, says: str
) -> None:
    """Mid-read: every call before it succeeded (moto), and still nothing is returned."""
    world.make_table("cases", world.tags())
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    with ThrottlingProxy(moto_server, answers={operation: answer}) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        with pytest.raises(SourceUnavailable) as raised:
            fetch_inventory(SETTINGS, open_sessions(SETTINGS), now=NOW)

    assert str(raised.value) == f"aws: account {CALLER}: {call}: {says} (will retry)"
    assert proxy.answered[operation] == (2 if answer.status >= 500 else 1)


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "X"
    )


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (_client_error("502", "Bad Gateway", 502), "an unexpected answer from AWS (HTTP 502: Bad Gateway)"),
        (_client_error("", "", 503), "an unexpected answer from AWS (HTTP 503: )"),
        (
            _client_error("InternalError", "line one\n  line two\t<br/>" + "x" * 400, 500),
            "InternalError: " + ("line one line two <br/>" + "x" * 400)[:299] + "…",  # 300 characters
        ),
        (
            ResponseParserError("Unable to parse response (…), invalid XML received:\nb'<html>…'"),
            "AWS sent an answer that could not be parsed",
        ),
    ],
    ids=["numeric code", "no code at all", "a long message on many lines", "ResponseParserError"],
)
def test_whatever_botocore_raises_for_an_answer_becomes_one_line(raised: Exception, expected: str) -> None:
    with pytest.raises(SourceUnavailable) as caught:
        with aws_call(CALLER, f"dynamodb:DescribeTable cases in {REGION}"):
            raise raised
    assert caught.value.reason == f"account {CALLER}: dynamodb:DescribeTable cases in {REGION}: {expected}"
    assert caught.value.retryable
    assert caught.value.__cause__ is raised

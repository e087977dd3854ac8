"""Slack 429s, counted for /metrics: `CountingRateLimitHandler` is installed on every WebClient the bot builds
(bot/directory.py); ops/metrics.py exposes the counter. Labels are the Slack methods the bot calls (a small
fixed set), never a person or an id."""

from __future__ import annotations

from prometheus_client import Counter
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.scopes import METHOD_SCOPES

SLACK_RATE_LIMITED = Counter(
    "recertify_slack_rate_limited",
    "Slack Web API answers 429 (rate limited): retried after Retry-After, or given up after the retries",
    ["method", "outcome"],
    registry=None,
)
_OUTCOMES = ("retried", "gave_up")
for _method in (*METHOD_SCOPES, "other"):  # every series exists from the start, at 0
    for _outcome in _OUTCOMES:
        SLACK_RATE_LIMITED.labels(_method, _outcome)


def slack_method(request: HttpRequest) -> str:
    """The Web API method of a request (`…/api/chat.postMessage`), or "other": a bounded label."""
    name = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name if name in METHOD_SCOPES else "other"


class CountingRateLimitHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits Retry-After, then retries), counting each 429 first."""

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retry = super().can_retry(state=state, request=request, response=response, error=error)
        if not retry and response is not None and response.status_code == 429:
            SLACK_RATE_LIMITED.labels(slack_method(request), "gave_up").inc()
        return retry

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        SLACK_RATE_LIMITED.labels(slack_method(request), "retried").inc()
        super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)

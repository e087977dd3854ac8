"""The async core: every Graph request goes through `GraphSession.request`, which paces it (resource-unit
budget, concurrency limit), sends it through the SDK, retries what may be retried and translates the rest.

Retry rules (the SDK's RetryHandler is off, see sdk.py, so one attempt is one HTTP request):
- 429/503 (and, for reads, 500/502/504, connection failures and invalid pages): wait, then resend, at most
  `entra.max_attempts` attempts in all, then SourceUnavailable(retryable=True) naming the request.
- The wait is Retry-After when Graph sends one, whatever its size (the SDK gives up at 180 s); above
  `entra.max_retry_wait_seconds` we fail at once and say so rather than hang. Without Retry-After: capped
  exponential backoff with jitter.
- Writes are resent only after 429/503, which mean the change was not made; after a timeout, a reset or
  another 5xx the change may have happened, so the caller (revocation: idempotent, verifies) decides.

Every 429 or 503 seen (an HTTP call's or a $batch item's) is also reported to `on_throttled(status)`, a plain
callback: `recertify serve` counts them for /metrics without this package knowing about Prometheus. It runs
on the loop thread and must return at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx
from azure.core.exceptions import AzureError, ClientAuthenticationError
from kiota_authentication_azure._exceptions import KiotaAuthenticationError  # not re-exported

from connectors.entra.graph.errors import SOURCE, exhausted, graph_error, translate
from connectors.entra.graph.pacing import (
    BACKOFF_CAP_SECONDS,
    AdaptiveLimit,
    Clock,
    ResourceBudget,
    backoff,
    resource_units,
    retry_after,
    under_pressure,
)
from connectors.entra.graph.sdk import RawResponse, Sdk
from connectors.entra.settings import EntraSettings
from reviews.errors import Misconfigured, SourceUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")
WRITE_RETRY_STATUSES = frozenset({429, 503})
READ_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
THROTTLED_STATUSES = frozenset({429, 503})  # what on_throttled hears about


class Invalid(Exception):
    """A 2xx answer we cannot use (not JSON, no `value`, a bad next link): the request is sent again."""


@dataclass(frozen=True, slots=True)
class GraphStats:
    requests: int  # HTTP calls sent, $batch calls included
    batch_items: int  # requests carried inside $batch calls, resent items included
    throttled: int  # 429 answers, to HTTP calls or to $batch items
    retries: int  # resent HTTP calls and $batch items
    bytes_received: int
    waited_seconds: float  # Retry-After, backoff and resource-budget waits
    concurrency_limit: int  # now
    lowest_concurrency_limit: int


class GraphSession:
    def __init__(
        self,
        sdk: Sdk,
        settings: EntraSettings,
        clock: Clock,
        *,
        on_throttled: Callable[[int], None] | None = None,
    ) -> None:
        self.sdk = sdk
        self.clock = clock
        self.on_throttled = on_throttled or _ignore
        self.base = settings.graph_url
        self.max_attempts = settings.max_attempts
        self.max_wait = settings.max_retry_wait_seconds
        self.budget = ResourceBudget(settings.resource_unit_budget, clock)
        self.limit = AdaptiveLimit(settings.max_concurrency)
        origin = urlsplit(self.base)
        self._origin = (origin.scheme, origin.netloc.lower())
        self.requests = self.batch_items = self.throttled = self.retries = self.bytes_received = 0
        self.waited = 0.0

    def stats(self) -> GraphStats:
        return GraphStats(
            self.requests,
            self.batch_items,
            self.throttled,
            self.retries,
            self.bytes_received,
            round(self.waited, 3),
            self.limit.limit,
            self.limit.lowest,
        )

    # --- URLs ---------------------------------------------------------------------------------------

    def url(self, path_or_url: str, params: Mapping[str, str] | None = None) -> str:
        if "://" in path_or_url:
            if not self.same_origin(path_or_url):
                raise SourceUnavailable(
                    SOURCE,
                    f"refusing a Graph link to another host: {self.display(path_or_url)}",
                    retryable=False,
                )
            url = path_or_url
        else:
            url = f"{self.base}/{path_or_url.lstrip('/')}"
        if params:
            # OData options keep their `$`, commas and quotes readable; everything else is percent-encoded.
            query = urlencode(dict(params), quote_via=quote, safe="$,'()*:@/")
            url += ("&" if "?" in url else "?") + query
        return url

    def same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc.lower()) == self._origin

    def display(self, url: str) -> str:
        """The path relative to the version root, without the query, for messages."""
        path = url.split("?", 1)[0]
        return path[len(self.base) + 1 :] if path.startswith(self.base + "/") else path

    # --- sending ------------------------------------------------------------------------------------

    async def wait(self, seconds: float) -> None:
        self.waited += seconds
        await self.clock.sleep(seconds)

    def backoff(self, attempt: int) -> float:
        return backoff(attempt, cap=max(1.0, min(BACKOFF_CAP_SECONDS, self.max_wait)))

    def retry_delay(self, what: str, headers: Mapping[str, str], attempt: int) -> float:
        """Retry-After when given (failing loudly above our maximum), else capped backoff."""
        asked = retry_after(headers)
        if asked is None:
            return self.backoff(attempt)
        if asked > self.max_wait:
            raise SourceUnavailable(
                SOURCE,
                f"{what}: Graph asked to wait {asked:.0f} s before retrying, more than "
                f"entra.max_retry_wait_seconds ({self.max_wait:.0f} s)",
                retryable=True,
            )
        return asked

    async def request(
        self,
        method: str,
        url: str,
        parse: Callable[[RawResponse], T],
        *,
        body: bytes | None = None,
        units: int | None = None,
        write: bool = False,
    ) -> T:
        what = f"{method} {self.display(url)}"
        units = resource_units(method, url) if units is None else units
        retry_statuses = WRITE_RETRY_STATUSES if write else READ_RETRY_STATUSES
        reason = ""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self.retries += 1
            self.waited += await self.budget.take(units)
            try:
                raw = await self._send(method, url, body)
            except httpx.TransportError as exc:
                if write:
                    raise SourceUnavailable(
                        SOURCE,
                        f"{what}: connection failed ({type(exc).__name__}); not resent, the change may "
                        "have been made",
                        retryable=True,
                    ) from None
                reason = f"connection failed ({type(exc).__name__})"
                delay = self.backoff(attempt)
            else:
                if 200 <= raw.status < 300:
                    try:
                        return parse(raw)
                    except Invalid as exc:
                        if write:  # the change was made: resending it would repeat it
                            raise SourceUnavailable(
                                SOURCE, f"{what}: accepted (HTTP {raw.status}) but {exc}", retryable=False
                            ) from None
                        reason = str(exc)
                        delay = self.backoff(attempt)
                elif raw.status in retry_statuses:
                    code, _ = graph_error(raw.body)
                    reason = f"HTTP {raw.status}" + (f" {code}" if code else "")
                    delay = self.retry_delay(what, raw.headers, attempt)
                else:
                    raise translate(method, self.display(url), raw.status, raw.body, urlsplit(url).query)
            if attempt < self.max_attempts:
                logger.info("graph: %s: %s; retrying in %.1f s", what, reason, delay)
                await self.wait(delay)
        raise exhausted(what, reason, self.max_attempts)

    async def _send(self, method: str, url: str, body: bytes | None) -> RawResponse:
        try:
            async with self.limit.slot():
                self.requests += 1
                raw = await self.sdk.send(method, url, body)
        except ClientAuthenticationError as exc:
            raise Misconfigured(f"entra: could not get a Graph token: {_first_line(exc.message)}") from None
        except KiotaAuthenticationError as exc:  # azure-identity tokens go over https only
            raise Misconfigured(f"entra: {exc}; use RECERTIFY_GRAPH_TOKEN for a plain-http Graph") from None
        except AzureError as exc:
            raise SourceUnavailable(
                SOURCE, f"could not reach the identity platform: {_first_line(exc.message)}", retryable=True
            ) from None
        self.bytes_received += len(raw.body)
        self.throttled += raw.status == 429
        if raw.status in THROTTLED_STATUSES:
            self.on_throttled(raw.status)
        self.limit.observe(under_pressure(raw.status, raw.headers))
        return raw


def _ignore(_status: int) -> None:
    pass


def _first_line(message: Any) -> str:
    lines = str(message or "").strip().splitlines()
    return lines[0][:300] if lines else "no detail"

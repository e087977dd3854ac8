"""GET /metrics for `recertify serve`, in the Prometheus text format.

prometheus_client is the Prometheus project's own Python client: well kept, no dependencies of its own, and
it writes the exposition format (HELP and TYPE lines, escaping, counter suffixes) exactly, so we do not.

Two kinds of figures:
- from the database, read at scrape time by `DatabaseCollector` (reviews.operations.metrics): syncs,
  campaigns, review items, decisions, revocations, the audit chain. Every replica answers the same, and
  nothing is lost or doubled by a restart. A scrape that cannot read the database answers 503 with one line.
- from this process: Slack 429s (`CountingRateLimitHandler`, installed on every WebClient the bot builds),
  Graph 429/503 answers (`count_graph_throttled`, given to the Entra connector as a callback, so
  connectors/ knows nothing of Prometheus), whether this replica holds the scheduler, and the standard
  process_* and python_* figures.

Labels come from small fixed sets (sources, statuses, states, Slack methods the bot calls): never a person,
a store, a campaign or an id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.scopes import METHOD_SCOPES
from reviews.operations.metrics import OperationalFigures, read_figures

logger = logging.getLogger(__name__)

MetricsReply = tuple[int, str, bytes]  # status, content type, body

SLACK_RATE_LIMITED = Counter(
    "recertify_slack_rate_limited",
    "Slack Web API answers 429 (rate limited): retried after Retry-After, or given up after the retries",
    ["method", "outcome"],
    registry=None,
)
GRAPH_THROTTLED = Counter(
    "recertify_graph_throttled",
    "Microsoft Graph answers 429 (throttled) or 503 (unavailable) seen by the Entra client, HTTP calls and "
    "$batch items; each is retried after Retry-After within entra.max_attempts",
    ["status"],
    registry=None,
)
_GRAPH_STATUSES = ("429", "503")
_OUTCOMES = ("retried", "gave_up")
for _method in (*METHOD_SCOPES, "other"):  # every series exists from the start, at 0
    for _outcome in _OUTCOMES:
        SLACK_RATE_LIMITED.labels(_method, _outcome)
for _status in _GRAPH_STATUSES:
    GRAPH_THROTTLED.labels(_status)


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


def count_graph_throttled(status: int) -> None:
    """The Entra connector's `on_throttled` callback (it reports 429 and 503 only)."""
    if str(status) in _GRAPH_STATUSES:
        GRAPH_THROTTLED.labels(str(status)).inc()


class DatabaseCollector(Collector):
    """Reads reviews.operations.metrics at each scrape; raises what the database raises."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def describe(self) -> Iterable[Metric]:
        return []  # nothing read at registration: the database is asked only when scraped

    def collect(self) -> Iterable[Metric]:
        with Session(self._engine) as session:
            figures = read_figures(session)
            session.rollback()  # read only (and ends the statement timeout's transaction)
        return list(_families(figures))


def _families(f: OperationalFigures) -> Iterable[Metric]:
    yield _family(CounterMetricFamily, "recertify_syncs", "Sync runs recorded", ["source", "status"], f.syncs)
    yield _family(
        CounterMetricFamily,
        "recertify_sync_throttled",
        "Answers a source throttled during syncs (Graph 429 and 503, each waited out and retried), "
        "from every sync run in the database, whichever process ran it",
        ["source"],
        {(source,): n for source, n in f.sync_throttled.items()},
    )
    yield _family(
        CounterMetricFamily,
        "recertify_sync_delta_resets",
        "Syncs whose stored delta links the source refused (Graph 400 syncStateNotFound: older than seven "
        "days; or 410 Gone: a reset), each followed by a full read in the same sync",
        ["source"],
        {(source,): n for source, n in f.sync_delta_resets.items()},
    )
    yield from _last_syncs(f)
    campaigns = {(status,): n for status, n in f.campaigns.items()}
    yield _family(GaugeMetricFamily, "recertify_campaigns", "Campaigns by status", ["status"], campaigns)
    yield _family(
        GaugeMetricFamily,
        "recertify_review_items",
        "Review items by their status and their campaign's status",
        ["status", "campaign_status"],
        f.items,
    )
    yield _family(
        CounterMetricFamily,
        "recertify_decisions",
        "Decisions that took effect, by how they were made (slack, cli, policy) and their outcome",
        ["via", "outcome"],
        f.decisions,
    )
    yield CounterMetricFamily(
        "recertify_decisions_superseded",
        "Decisions recorded but not applied: a late click, or the loser of two reviewers deciding at once",
        value=f.superseded_decisions,
    )
    yield _family(
        GaugeMetricFamily,
        "recertify_revocations",
        "Revocations (the outbox) by system and state",
        ["system", "state"],
        f.revocations,
    )
    yield GaugeMetricFamily(
        "recertify_audit_chain_head_seq",
        "Sequence number of the audit chain's last event",
        value=f.audit_head_seq,
    )
    if f.last_checkpoint_seq is not None and f.last_checkpoint_at is not None:
        yield GaugeMetricFamily(
            "recertify_audit_last_checkpoint_seq",
            "Sequence number of the latest audit checkpoint",
            value=f.last_checkpoint_seq,
        )
        yield GaugeMetricFamily(
            "recertify_audit_last_checkpoint_timestamp_seconds",
            "When the latest audit checkpoint was recorded (Unix time)",
            value=_seconds(f.last_checkpoint_at),
        )


def _last_syncs(f: OperationalFigures) -> Iterable[Metric]:
    status = GaugeMetricFamily(
        "recertify_sync_last_status",
        "1 for the status of each source's latest sync (running, succeeded, failed), 0 for the others",
        labels=["source", "status"],
    )
    started = GaugeMetricFamily(
        "recertify_sync_last_started_timestamp_seconds",
        "When each source's latest sync started",
        labels=["source"],
    )
    finished = GaugeMetricFamily(
        "recertify_sync_last_finished_timestamp_seconds",
        "When each source's latest sync finished (absent while it runs)",
        labels=["source"],
    )
    success = GaugeMetricFamily(
        "recertify_sync_last_success_timestamp_seconds",
        "When each source's latest complete sync finished",
        labels=["source"],
    )
    counts = GaugeMetricFamily(
        "recertify_sync_last_success_count",
        "What each source's latest complete sync counted: stores, principals, grants, opened, closed, "
        "changed, unmatched_principals; Entra also read_full_sync (1: read in full, 0: by delta links) and "
        "read_delta_resets",
        labels=["source", "count"],
    )
    statuses = sorted({s for _, s in f.syncs})
    for sync in f.last_syncs:
        for name in statuses:
            status.add_metric([sync.source, name], 1 if name == sync.status else 0)
        started.add_metric([sync.source], _seconds(sync.started_at))
        if sync.finished_at is not None:
            finished.add_metric([sync.source], _seconds(sync.finished_at))
        if sync.last_success_at is not None:
            success.add_metric([sync.source], _seconds(sync.last_success_at))
        for name, n in sorted(sync.counts.items()):
            counts.add_metric([sync.source, name], n)
    return [status, started, finished, success, counts]


def _family(
    kind: type[CounterMetricFamily] | type[GaugeMetricFamily],
    name: str,
    help_text: str,
    labels: list[str],
    values: dict[Any, int],
) -> Metric:
    family = kind(name, help_text, labels=labels)
    for key, n in sorted(values.items()):
        family.add_metric(list(key), n)
    return family


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


class _Leader(Collector):
    def __init__(self, leading: Callable[[], bool]) -> None:
        self._leading = leading

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "recertify_scheduler_leader",
            "1 on the replica that holds the scheduler (PostgreSQL advisory lock), 0 on the others",
            value=1 if self._leading() else 0,
        )


class _BuildInfo(Collector):
    def collect(self) -> Iterable[Metric]:
        try:
            release = version("recertify")
        except PackageNotFoundError:
            release = "unknown"
        info = GaugeMetricFamily("recertify_build_info", "Always 1; the running version", labels=["version"])
        info.add_metric([release], 1)
        yield info


def metrics_endpoint(
    engine: Engine, *, leading: Callable[[], bool] | None = None
) -> Callable[[], MetricsReply]:
    """What GET /metrics answers: 200 with the text format, or 503 and one line when the database fails."""
    registry = CollectorRegistry()
    for collector in (
        DatabaseCollector(engine),
        SLACK_RATE_LIMITED,
        GRAPH_THROTTLED,
        _BuildInfo(),
        PROCESS_COLLECTOR,
        PLATFORM_COLLECTOR,
        GC_COLLECTOR,
    ):
        registry.register(collector)
    if leading is not None:
        registry.register(_Leader(leading))

    def scrape() -> MetricsReply:
        try:
            body = generate_latest(registry)
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            reason = f"metrics unavailable: the database did not answer ({type(exc).__name__})\n"
            return 503, "text/plain; charset=utf-8", reason.encode()
        return 200, CONTENT_TYPE_LATEST, body

    return scrape

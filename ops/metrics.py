"""GET /metrics for `recertify serve`, in the Prometheus text format.

prometheus_client is the Prometheus project's own Python client: well kept, no dependencies of its own, and
it writes the exposition format (HELP and TYPE lines, escaping, counter suffixes) exactly, so we do not.

Two kinds of figures:
- from the database, read at scrape time by `DatabaseCollector` (ops/database_figures.py): syncs,
  campaigns, review items, decisions, revocations, the audit chain. Every replica answers the same, and
  nothing is lost or doubled by a restart. A scrape that cannot read the database answers 503 with one line.
- from this process: Slack 429s (bot/rate_limits.py, installed on every WebClient the bot builds),
  Graph 429/503 answers (`count_graph_throttled`, given to the Entra connector as a callback, so
  connectors/ knows nothing of Prometheus), whether this replica holds the scheduler, and the standard
  process_* and python_* figures.

Labels come from small fixed sets (sources, statuses, states, Slack methods the bot calls): never a person,
a store, a campaign or an id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.rate_limits import SLACK_RATE_LIMITED
from ops.database_figures import DatabaseCollector

logger = logging.getLogger(__name__)

MetricsReply = tuple[int, str, bytes]  # status, content type, body

GRAPH_THROTTLED = Counter(
    "recertify_graph_throttled",
    "Microsoft Graph answers 429 (throttled) or 503 (unavailable) seen by the Entra client, HTTP calls and "
    "$batch items; each is retried after Retry-After within entra.max_attempts",
    ["status"],
    registry=None,
)
_GRAPH_STATUSES = ("429", "503")
for _status in _GRAPH_STATUSES:
    GRAPH_THROTTLED.labels(_status)


def count_graph_throttled(status: int) -> None:
    """The Entra connector's `on_throttled` callback (it reports 429 and 503 only)."""
    if str(status) in _GRAPH_STATUSES:
        GRAPH_THROTTLED.labels(str(status)).inc()


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

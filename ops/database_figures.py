"""The figures /metrics reads from the database at each scrape (reviews.queries.metrics), as Prometheus
families: syncs, campaigns, review items, decisions, revocations, the audit chain. Every replica answers
the same, and nothing is lost or doubled by a restart."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlmodel import Session

from reviews.queries.metrics import OperationalFigures, read_figures


class DatabaseCollector(Collector):
    """Reads reviews.queries.metrics at each scrape; raises what the database raises."""

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

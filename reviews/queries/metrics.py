"""What an operator watches, read from the database at the moment it is asked (GET /metrics).

Every figure is a count or a latest row, so every replica answers the same and nothing drifts between
restarts: last sync per source, campaigns, review items, decisions, revocations, the audit chain's head and
its last checkpoint. A handful of COUNT … GROUP BY queries and primary-key lookups; on PostgreSQL they run
under a short statement timeout, so a slow database fails the scrape instead of piling scrapes up.

Plain data only: the Prometheus adapter (ops/) names and exposes it. Every label value is one of
a small fixed set (a source, a status, a state, a channel), never a person, a store or an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from reviews.entitlements import System
from reviews.storage.models import (
    AuditCheckpoint,
    AuditHead,
    Campaign,
    CampaignStatus,
    DecidedVia,
    Decision,
    DecisionOutcome,
    ItemStatus,
    ReviewItem,
    Revocation,
    RevocationState,
    SyncRun,
    SyncStatus,
)

STATEMENT_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True)
class LastSync:
    source: str
    status: str  # of the latest sync, running included
    started_at: datetime
    finished_at: datetime | None
    last_success_at: datetime | None  # when the latest complete sync finished
    counts: dict[str, int]  # the latest complete sync's counts (stores, principals, grants, opened, …)


@dataclass(frozen=True, slots=True)
class OperationalFigures:
    syncs: dict[tuple[str, str], int]  # (source, status) → runs
    sync_throttled: dict[str, int]  # source → throttled answers counted by every sync run (Graph)
    sync_delta_resets: dict[str, int]  # source → syncs whose stored delta links the source refused (Entra)
    last_syncs: tuple[LastSync, ...]
    campaigns: dict[str, int]  # status → campaigns
    items: dict[tuple[str, str], int]  # (item status, campaign status) → review items
    decisions: dict[tuple[str, str], int]  # (via, outcome) → decisions that took effect
    superseded_decisions: int  # recorded but not applied (a late click, the loser of a race)
    revocations: dict[tuple[str, str], int]  # (system, state) → outbox rows
    audit_head_seq: int  # 0: an empty chain
    last_checkpoint_seq: int | None
    last_checkpoint_at: datetime | None


def read_figures(session: Session) -> OperationalFigures:
    """Raises what the database raises (the caller answers 503 rather than half an answer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
    campaigns = {str(s): 0 for s in CampaignStatus}
    rows = session.exec(select(Campaign.status, func.count()).group_by(col(Campaign.status))).all()
    campaigns.update({str(status): int(n) for status, n in rows})
    head = session.get(AuditHead, 1)
    newest_checkpoint = select(AuditCheckpoint).order_by(col(AuditCheckpoint.seq).desc()).limit(1)
    checkpoint = session.exec(newest_checkpoint).first()
    decisions = _zeros(DecidedVia, DecisionOutcome)
    effective = col(Decision.superseded).is_(False)
    decisions.update(_pairs(session, col(Decision.via), col(Decision.outcome), where=effective))
    superseded = session.exec(
        select(func.count()).select_from(Decision).where(col(Decision.superseded).is_(True))
    ).one()
    return OperationalFigures(
        syncs=_zeros(System, SyncStatus) | _pairs(session, col(SyncRun.source), col(SyncRun.status)),
        sync_throttled=_summed(session, "throttled"),
        sync_delta_resets=_summed(session, "read_delta_resets"),
        last_syncs=_last_syncs(session),
        campaigns=campaigns,
        items=_items(session),
        decisions=decisions,
        superseded_decisions=int(superseded),
        revocations=_zeros(System, RevocationState)
        | _pairs(session, col(Revocation.system), col(Revocation.state)),
        audit_head_seq=head.seq if head is not None else 0,
        last_checkpoint_seq=checkpoint.seq if checkpoint is not None else None,
        last_checkpoint_at=checkpoint.recorded_at if checkpoint is not None else None,
    )


def _items(session: Session) -> dict[tuple[str, str], int]:
    figures = _zeros(ItemStatus, CampaignStatus)
    rows = session.exec(
        select(ReviewItem.status, Campaign.status, func.count())
        .join(Campaign, col(Campaign.id) == col(ReviewItem.campaign_id))
        .group_by(col(ReviewItem.status), col(Campaign.status))
    ).all()
    figures.update({(str(item), str(campaign)): int(n) for item, campaign, n in rows})
    return figures


def _summed(session: Session, key: str) -> dict[str, int]:
    """One count summed over every sync run, per source. Summed in Python: the counts are JSON, and sync runs
    are few (one a day per source, and retention)."""
    totals = {str(source): 0 for source in System}
    for source, counts in session.exec(select(SyncRun.source, SyncRun.counts)).all():
        n = (counts or {}).get(key)
        if isinstance(n, int):
            totals[source] = totals.get(source, 0) + n
    return totals


def _last_syncs(session: Session) -> tuple[LastSync, ...]:
    sources = session.exec(select(SyncRun.source).distinct().order_by(col(SyncRun.source))).all()
    return tuple(_last_sync(session, source) for source in sources)


def _last_sync(session: Session, source: str) -> LastSync:
    newest = (col(SyncRun.started_at).desc(), col(SyncRun.id).desc())
    latest = session.exec(select(SyncRun).where(SyncRun.source == source).order_by(*newest).limit(1)).one()
    complete = session.exec(
        select(SyncRun)
        .where(SyncRun.source == source, SyncRun.status == SyncStatus.SUCCEEDED)
        .order_by(*newest)
        .limit(1)
    ).first()
    counts = {str(k): int(v) for k, v in (complete.counts if complete else {}).items() if isinstance(v, int)}
    return LastSync(
        source=source,
        status=latest.status,
        started_at=latest.started_at,
        finished_at=latest.finished_at,
        last_success_at=(complete.finished_at or complete.started_at) if complete else None,
        counts=counts,
    )


def _pairs(session: Session, first: Any, second: Any, *, where: Any = True) -> dict[tuple[str, str], int]:
    rows = session.exec(select(first, second, func.count()).where(where).group_by(first, second)).all()
    return {(str(a), str(b)): int(n) for a, b, n in rows}


def _zeros(first: type[StrEnum], second: type[StrEnum]) -> dict[tuple[str, str], int]:
    return {(str(a), str(b)): 0 for a in first for b in second}

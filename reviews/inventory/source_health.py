"""Is a source's latest read fit to act on? Campaigns and revocations both ask (DESIGN §3.5): a failed or
refused latest sync, or no recent complete one, stops them for that source until an admin looks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from reviews.storage.models import SyncRun, SyncStatus


@dataclass(frozen=True, slots=True)
class SourceHealth:
    system: str
    latest_complete: SyncRun | None
    problem: str | None  # None: fit to act on


def source_health(session: Session, system: str, *, now: datetime, max_age: timedelta) -> SourceHealth:
    runs = session.exec(
        select(SyncRun)
        .where(SyncRun.source == system, SyncRun.status != SyncStatus.RUNNING)
        .order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc())
        .limit(50)
    ).all()
    complete = next((run for run in runs if run.status == SyncStatus.SUCCEEDED), None)
    if not runs or complete is None:
        return SourceHealth(
            system, None, f"{system}: no complete sync yet; run `recertify sync --source {system}`"
        )
    latest = runs[0]
    if latest.status != SyncStatus.SUCCEEDED:
        return SourceHealth(
            system,
            complete,
            f"{system}: the latest sync (#{latest.id}, {latest.started_at:%Y-%m-%d %H:%M} UTC) did not "
            f"complete: {latest.error or 'no reason recorded'}; an admin must look before anything starts "
            "or is revoked",
        )
    age = now - (complete.finished_at or complete.started_at)
    if age > max_age:
        hours = age.total_seconds() / 3600
        return SourceHealth(
            system,
            complete,
            f"{system}: the latest complete sync (#{complete.id}) is {hours:.1f} h old (limit "
            f"{max_age.total_seconds() / 3600:.0f} h); run `recertify sync --source {system}` first",
        )
    return SourceHealth(system, complete, None)

"""Scheduled starts: once per period whatever the clock does (DST changes, a bot that was down)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from reviews.actors import SCHEDULER
from reviews.campaigns.start import start_scheduled
from reviews.clock import FrozenClock
from reviews.cycles.definition import CycleDefinition
from reviews.protection import Protection
from reviews.storage.models import AuditEvent, Campaign, ReviewCycle
from tests.campaigns.world import Department, cycle, store_cycle

LONDON = ZoneInfo("Europe/London")


def nightly(**overrides: object) -> CycleDefinition:
    return cycle(
        schedule={"cron": "30 1 * * *", "timezone": "Europe/London"}, max_sync_age_hours=1000, **overrides
    )


def tick(
    session: Session, row: ReviewCycle, definition: CycleDefinition, clock: FrozenClock
) -> Campaign | None:
    """What the scheduler's job for this cycle does at `clock.now()`."""
    started = start_scheduled(
        session,
        row,
        definition,
        actor=SCHEDULER,
        clock=clock,
        protection=Protection.of([], []),
        grace=timedelta(hours=6),
    )
    session.commit()
    return started.campaign if started else None


def run_ticks(
    session: Session, clock: FrozenClock, end: datetime, step: timedelta, **overrides: object
) -> None:
    definition = nightly(**overrides)
    row = store_cycle(session, definition, clock.now())
    while clock.now() < end:
        clock.advance(step)
        tick(session, row, definition, clock)


def local_days(session: Session) -> Counter[str]:
    return Counter(
        campaign.scheduled_for.astimezone(LONDON).strftime("%Y-%m-%d")
        for campaign in session.exec(select(Campaign))
        if campaign.scheduled_for
    )


def test_0130_london_runs_once_on_both_dst_change_days(session: Session) -> None:
    for start, days in (
        (datetime(2026, 3, 28, 12, tzinfo=UTC), ["2026-03-29", "2026-03-30"]),  # spring: 01:30 does not exist
        (datetime(2026, 10, 24, 12, tzinfo=UTC), ["2026-10-25", "2026-10-26"]),  # autumn: 01:30 happens twice
    ):
        clock = FrozenClock(start)
        Department().store("payroll", "olu").user("ana").grant("ana", "payroll").sync(session, clock)
        run_ticks(
            session, clock, start + timedelta(days=2), timedelta(minutes=15), name=f"nightly-{start.month}"
        )
        counts = local_days(session)
        assert [counts[day] for day in days] == [1, 1], counts


def down_until(session: Session, hours: float) -> tuple[ReviewCycle, CycleDefinition, FrozenClock]:
    """A nightly cycle applied at midnight UTC on 1 June, and a bot that was down for `hours`."""
    clock = FrozenClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    Department().store("payroll", "olu").user("ana").grant("ana", "payroll").sync(session, clock)
    definition = nightly()
    row = store_cycle(session, definition, clock.now())
    clock.advance(timedelta(hours=hours))
    return row, definition, clock


def test_a_start_missed_while_down_runs_once_late_and_says_how_late(session: Session) -> None:
    row, definition, clock = down_until(session, 5.5)  # 01:30 London (00:30 UTC) passed while down
    for _ in range(3):  # the scheduler's catch-up run, then its regular ticks
        tick(session, row, definition, clock)
    (campaign,) = session.exec(select(Campaign)).all()
    assert campaign.scheduled_for == datetime(2026, 6, 1, 0, 30, tzinfo=UTC)
    event = session.exec(select(AuditEvent).where(AuditEvent.kind == "campaign.started")).one()
    assert event.payload["late_by_seconds"] == 5 * 3600


def test_a_start_older_than_the_grace_is_not_run(session: Session) -> None:
    row, definition, clock = down_until(session, 8)
    assert tick(session, row, definition, clock) is None
    assert session.exec(select(Campaign)).all() == []

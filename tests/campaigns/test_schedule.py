"""Scheduled starts: once per period whatever the clock does (DST changes, a bot that was down)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from reviews.actors import SCHEDULER
from reviews.campaigns.protection import Protection
from reviews.campaigns.start import start_scheduled
from reviews.clock import FrozenClock
from reviews.models import AuditEvent, Campaign
from tests.campaigns.world import Department, cycle, store_cycle

LONDON = ZoneInfo("Europe/London")


def run_ticks(
    session: Session, clock: FrozenClock, end: datetime, step: timedelta, **overrides: object
) -> None:
    definition = cycle(
        schedule={"cron": "30 1 * * *", "timezone": "Europe/London"}, max_sync_age_hours=1000, **overrides
    )
    row = store_cycle(session, definition, clock.now())
    while clock.now() < end:
        clock.advance(step)
        start_scheduled(
            session,
            row,
            definition,
            actor=SCHEDULER,
            clock=clock,
            protection=Protection.of([], []),
            grace=timedelta(hours=6),
        )
        session.commit()


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


def test_a_start_missed_while_down_runs_once_late_and_says_how_late(session: Session) -> None:
    clock = FrozenClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    Department().store("payroll", "olu").user("ana").grant("ana", "payroll").sync(session, clock)
    definition = cycle(schedule={"cron": "30 1 * * *", "timezone": "Europe/London"}, max_sync_age_hours=1000)
    row = store_cycle(session, definition, clock.now())
    clock.advance(timedelta(hours=5, minutes=30))  # 01:30 London (00:30 UTC) passed while the bot was down
    for _ in range(3):  # the scheduler's catch-up run, then its regular ticks
        start_scheduled(
            session,
            row,
            definition,
            actor=SCHEDULER,
            clock=clock,
            protection=Protection.of([], []),
            grace=timedelta(hours=6),
        )
        session.commit()
    (campaign,) = session.exec(select(Campaign)).all()
    assert campaign.scheduled_for == datetime(2026, 6, 1, 0, 30, tzinfo=UTC)
    event = session.exec(select(AuditEvent).where(AuditEvent.kind == "campaign.started")).one()
    assert event.payload["late_by_seconds"] == 5 * 3600


def test_a_start_older_than_the_grace_is_not_run(session: Session) -> None:
    clock = FrozenClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    Department().store("payroll", "olu").user("ana").grant("ana", "payroll").sync(session, clock)
    definition = cycle(schedule={"cron": "30 1 * * *", "timezone": "Europe/London"}, max_sync_age_hours=1000)
    row = store_cycle(session, definition, clock.now())
    clock.advance(timedelta(hours=8))
    result = start_scheduled(
        session,
        row,
        definition,
        actor=SCHEDULER,
        clock=clock,
        protection=Protection.of([], []),
        grace=timedelta(hours=6),
    )
    assert result is None

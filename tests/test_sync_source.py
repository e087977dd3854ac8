"""One source's sync as a use case: the snapshot applied with the throttled answers counted in its run, or a
failed run recorded (with what was throttled before the failure) and the error raised again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.clock import FrozenClock
from reviews.entitlements import Snapshot
from reviews.errors import SourceUnavailable
from reviews.inventory.sync import ThrottleTally, sync_source
from reviews.storage.models import AuditEvent, SyncRun
from tests.campaigns.world import Department
from tests.helpers import T0


def department() -> Department:
    return Department().store("payroll", "olu").user("ana").grant("ana", "payroll")


def test_the_throttled_answers_of_the_read_are_counted_in_the_run_and_its_event(engine: Engine) -> None:
    clock = FrozenClock(T0)

    def read(tally: ThrottleTally) -> Snapshot:
        for status in (429, 503, 429):
            tally(status)
        clock.advance(timedelta(seconds=30))
        return department().snapshot(clock.now())

    summary = sync_source("aws", read, engine=engine, clock=clock, max_drop=None)
    assert summary.throttled == 3 and summary.grants == 1
    with Session(engine) as session:
        run = session.exec(select(SyncRun)).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "sync.applied")).one()
    assert (run.status, run.counts["throttled"], run.started_at) == ("succeeded", 3, T0)
    assert event.payload["throttled"] == 3


def test_a_calm_read_records_no_throttled_count(engine: Engine) -> None:
    clock = FrozenClock(T0)
    calm = department().snapshot(clock.now())
    sync_source("aws", lambda _: calm, engine=engine, clock=clock, max_drop=None)
    with Session(engine) as session:
        assert "throttled" not in session.exec(select(SyncRun)).one().counts


def test_a_failed_read_is_recorded_with_what_was_throttled_and_raised_again(engine: Engine) -> None:
    clock = FrozenClock(T0)

    def read(tally: ThrottleTally) -> Snapshot:
        tally(429)
        tally(429)
        raise SourceUnavailable("entra", "Graph kept answering 429 after 6 attempts", retryable=True)

    with pytest.raises(SourceUnavailable, match="after 6 attempts"):
        sync_source("entra", read, engine=engine, clock=clock, max_drop=None)
    with Session(engine) as session:
        run = session.exec(select(SyncRun)).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "sync.failed")).one()
    assert (run.source, run.status, run.counts) == ("entra", "failed", {"throttled": 2})
    assert run.error == "entra: Graph kept answering 429 after 6 attempts (will retry)"
    assert event.payload["throttled"] == 2

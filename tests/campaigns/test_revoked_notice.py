"""`[slack] notify_revoked`: the person whose access was removed is told what, why and by whom, once; only
for live revocations a later sync verified; failures retried a bounded number of times, each recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.enforcement.revoked_notice import MAX_ATTEMPTS, NOTICE_WINDOW, tell_revoked
from reviews.storage.models import AuditEvent, DecidedVia, DecisionOutcome, Notification
from tests.campaigns.test_enforce import DRY, Loop
from tests.campaigns.world import RecordingNotifier, email


def told(session: Session) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.kind == "revoked")).all())


def test_each_person_is_told_once_with_the_policy_s_reason(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 2)
    loop.planned_and_approved()
    loop.execute()
    notifier = RecordingNotifier()
    assert tell_revoked(session, notifier, clock=loop.clock).told == 0  # read back, not yet verified
    loop.sync()  # the next sync finds the access gone: verified
    summary = tell_revoked(session, notifier, clock=loop.clock)
    session.commit()
    people = sorted(n.person_email for n in notifier.notices)
    assert people == [
        email("olu"),
        email("u00"),
        email("u01"),
    ]  # olu's own read access, reviewed by the fallback
    assert summary.told == 3 and summary.failed == 0
    u00 = next(n for n in notifier.notices if n.person_email == email("u00"))
    assert (u00.store, u00.access, u00.principal, u00.path) == (
        "payroll",
        "read",
        "u00",
        ("group:payroll-read",),
    )
    assert u00.decided_by == "the review policy" and "not used for 200 days" in u00.reason
    assert len(told(session)) == 3 and all(n.delivered for n in told(session))
    events = session.exec(select(AuditEvent).where(AuditEvent.kind == "revocation.holder_told")).all()
    assert len(events) == 3
    assert tell_revoked(session, notifier, clock=loop.clock).told == 0  # never twice
    assert len(notifier.notices) == 3


def test_a_reviewer_s_decision_is_told_with_their_name_and_justification(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 1)
    campaign = loop.start()
    loop.owner_decides(
        campaign, "u00", DecisionOutcome.REVOKE, "moved to the pensions team", via=DecidedVia.SLACK
    )
    loop.close(campaign)
    loop.plan(campaign)
    loop.approve(campaign)
    loop.execute()
    loop.sync()
    notifier = RecordingNotifier()
    tell_revoked(session, notifier, clock=loop.clock)
    (u00,) = [n for n in notifier.notices if n.person_email == email("u00")]
    assert (u00.decided_by, u00.reason) == (email("olu"), "moved to the pensions team")


def test_a_dry_run_or_an_old_revocation_tells_nobody(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 1)
    loop.planned_and_approved()
    loop.execute(DRY)
    notifier = RecordingNotifier()
    assert tell_revoked(session, notifier, clock=loop.clock).told == 0 and notifier.notices == []
    loop.execute()
    loop.sync()
    loop.clock.advance(NOTICE_WINDOW + timedelta(minutes=1))
    assert tell_revoked(session, notifier, clock=loop.clock).told == 0 and notifier.notices == []


def test_a_failed_notice_is_recorded_and_retried_a_bounded_number_of_times(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 1)
    loop.planned_and_approved()
    loop.execute()
    loop.sync()
    notifier = RecordingNotifier(undeliverable={email("u00")})
    for _ in range(MAX_ATTEMPTS + 2):
        tell_revoked(session, notifier, clock=loop.clock)
        session.commit()
    failed = [n for n in told(session) if not n.delivered]
    assert len(failed) == MAX_ATTEMPTS and all(n.error == "service_unavailable" for n in failed)
    assert sum(1 for n in notifier.notices if n.person_email == email("u00")) == MAX_ATTEMPTS

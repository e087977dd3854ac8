"""Digests, reminders, escalation and the no-response rules at close (DESIGN §3.7)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import record_decision
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.protection import Protection
from reviews.storage.models import (
    Campaign,
    CampaignStatus,
    DecidedVia,
    Decision,
    DecisionOutcome,
    ItemStatus,
    Notification,
    Person,
    ReviewItem,
)
from tests.campaigns.world import FALLBACK, Department, RecordingNotifier, cycle, email, store_cycle
from tests.helpers import T0


def setup(session: Session, clock: FrozenClock, **overrides: object) -> Campaign:
    (
        Department()
        .store("payroll", "olu")
        .store("cases", "pat")
        .user("ana")
        .user("ben")
        .user("cat")
        .grant("ana", "payroll")
        .grant("ben", "payroll")
        .grant("cat", "cases")
        .sync(session, clock)
    )
    definition = cycle(**overrides)
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
    ).campaign
    session.commit()
    return campaign


def tick(session: Session, notifier: RecordingNotifier, clock: FrozenClock) -> None:
    advance_notifications(session, notifier, clock=clock)
    session.commit()


def olu_keeps_ana(engine: Engine, session: Session, clock: FrozenClock) -> Person:
    """The owner answers for one of the three items, in Slack; returns the owner."""
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    ana = next(
        i for i in session.exec(select(ReviewItem)).all() if i.frozen_grant["principal"]["name"] == "ana"
    )
    assert ana.id is not None and olu.id is not None
    record_decision(
        engine,
        item_id=ana.id,
        outcome=DecisionOutcome.KEEP,
        actor=Actor("slack:olu", olu.id),
        via=DecidedVia.SLACK,
        clock=clock,
    )
    return olu


def statuses(session: Session) -> dict[str, str]:
    session.expire_all()
    return {i.frozen_grant["principal"]["name"]: i.status for i in session.exec(select(ReviewItem)).all()}


def test_one_digest_per_reviewer_grouping_their_items(session: Session) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    setup(session, clock)
    tick(session, notifier, clock)
    tick(session, notifier, clock)  # idempotent: nothing new is due
    assert [m.kind for m in notifier.to("olu")] == ["digest"]
    (digest,) = notifier.to("olu")
    assert sorted(item.holder for item in digest.items) == ["ana", "ben"]
    assert digest.items[0].path == ("group:payroll-read",)
    assert [m.kind for m in notifier.to("pat")] == ["digest"]
    assert all(i.delivered_at == T0 for i in session.exec(select(ReviewItem)).all())
    assert len(session.exec(select(Notification)).all()) == 2


def test_reminders_on_the_cycle_days_then_daily_when_overdue(session: Session) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    setup(session, clock, on_no_response="escalate", escalate_after_days=None)
    tick(session, notifier, clock)
    for _ in range(16):  # the 14-day campaign and two days past its deadline
        clock.advance(timedelta(days=1))
        tick(session, notifier, clock)
    kinds = [m.kind for m in notifier.to("olu")]
    assert kinds == ["digest", "reminder", "reminder", "reminder", "reminder", "reminder"]


def test_an_undelivered_digest_is_recorded_and_makes_the_item_ineligible_for_silence(
    session: Session,
) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier(undeliverable={email("pat")})
    campaign = setup(session, clock, escalate_after_days=None)
    for _ in range(15):
        tick(session, notifier, clock)
        clock.advance(timedelta(days=1))
    failed = session.exec(select(Notification).where(Notification.delivered == False)).all()  # noqa: E712
    assert failed and failed[0].error == "service_unavailable"
    summary = close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    assert statuses(session)["cat"] == ItemStatus.EXPIRED
    assert summary.reasons["the reviewer was never reached: access unchanged"] == 1


def test_a_silent_reviewer_is_not_mass_revoked(session: Session) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    campaign = setup(session, clock, escalate_after_days=None)
    for _ in range(15):
        tick(session, notifier, clock)
        clock.advance(timedelta(days=1))
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    # Delivered and reminded, but olu answered nothing and nobody escalated: nothing is revoked by silence.
    assert statuses(session) == {
        "ana": ItemStatus.EXPIRED,
        "ben": ItemStatus.EXPIRED,
        "cat": ItemStatus.EXPIRED,
    }


def test_silence_revokes_after_delivery_reminders_and_an_answer(engine: Engine, session: Session) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    campaign = setup(session, clock, escalate_after_days=None)
    tick(session, notifier, clock)
    olu_keeps_ana(engine, session, clock)
    for _ in range(15):
        clock.advance(timedelta(days=1))
        tick(session, notifier, clock)
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    assert statuses(session) == {"ana": ItemStatus.KEPT, "ben": ItemStatus.REVOKED, "cat": ItemStatus.EXPIRED}
    policy = session.exec(select(Decision).where(Decision.via == "policy")).one()
    assert policy.outcome == "revoke" and "reminders" in policy.context["reason"]


def test_silent_reviewers_are_escalated_to_the_fallback_who_can_then_be_held_to_the_policy(
    session: Session,
) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    campaign = setup(session, clock, escalate_after_days=5)
    for _ in range(15):
        tick(session, notifier, clock)
        clock.advance(timedelta(days=1))
    assert [m.kind for m in notifier.to("security")][:1] == ["escalation"]
    items = session.exec(select(ReviewItem)).all()
    fallback = session.exec(select(Person).where(Person.email == FALLBACK)).one()
    assert all(i.reviewer_person_id == fallback.id and i.escalated_at is not None for i in items)
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    assert set(statuses(session).values()) == {ItemStatus.REVOKED}


def test_escalate_policy_keeps_the_campaign_open_for_the_fallback(session: Session) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    campaign = setup(session, clock, on_no_response="escalate", escalate_after_days=None)
    tick(session, notifier, clock)
    clock.advance(timedelta(days=15))
    summary = close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    assert not summary.closed and summary.escalated == 3
    assert session.get(Campaign, campaign.id).status == CampaignStatus.OPEN
    forced = close_campaign(session, campaign, actor=cli_operator(), clock=clock, force=True)
    assert forced.closed and forced.expired == 3


def test_keep_policy_keeps_and_records_a_policy_decision(session: Session) -> None:
    clock = FrozenClock(T0)
    campaign = setup(session, clock, on_no_response="keep")
    clock.advance(timedelta(days=14))
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    assert set(statuses(session).values()) == {ItemStatus.KEPT}
    assert len(session.exec(select(Decision).where(Decision.via == "policy")).all()) == 3


def test_an_unreachable_reviewer_is_escalated_to_the_fallback_at_once(session: Session) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier(unreachable={email("pat")})
    setup(session, clock, escalate_after_days=None)
    tick(session, notifier, clock)
    tick(session, notifier, clock)  # the next pass reaches the fallback
    cat = next(
        i for i in session.exec(select(ReviewItem)).all() if i.frozen_grant["principal"]["name"] == "cat"
    )
    fallback = session.exec(select(Person).where(Person.email == FALLBACK)).one()
    assert cat.reviewer_person_id == fallback.id and cat.escalated_at is not None
    assert [m.kind for m in notifier.to("security")] == ["escalation"]

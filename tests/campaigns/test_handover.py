"""Delegation without self-review (issue 15): a delegate never gets their own access to decide, and that
access reaches, at once and on the record, the next reviewer in its chain who can decide it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.decide import record_decision
from reviews.campaigns.handover import hand_over
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.start import start_campaign
from reviews.campaigns.views import pending_for
from reviews.clock import FrozenClock
from reviews.errors import NotAuthorized
from reviews.evidence.collect import read_evidence
from reviews.protection import Protection
from reviews.storage.models import AuditEvent, Campaign, DecidedVia, DecisionOutcome, Person, ReviewItem
from tests.campaigns.world import FALLBACK, Department, RecordingNotifier, cycle, email, store_cycle
from tests.helpers import T0


def department(*, ana_manager: str | None = "meg") -> Department:
    """olu owns payroll; ana and ben read it; meg manages ana."""
    return (
        Department()
        .store("payroll", "olu")
        .user("ana", manager=ana_manager)
        .user("ben")
        .user("meg")
        .grant("ana", "payroll")
        .grant("ben", "payroll")
    )


def start(session: Session, clock: FrozenClock, **overrides: object) -> Campaign:
    definition = cycle(**overrides)
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
    ).campaign
    session.commit()
    return campaign


def pid(session: Session, name: str) -> int:
    person = session.exec(select(Person).where(Person.email == email(name))).one()
    assert person.id is not None
    return person.id


def actor(session: Session, name: str) -> Actor:
    return Actor(f"slack:{name}", person_id=pid(session, name))


def delegates(session: Session, clock: FrozenClock, reviewer: str, to: str) -> int:
    """`reviewer` hands their items to `to` for a week; how many went elsewhere instead."""
    _, moved = hand_over(
        session,
        person_id=pid(session, reviewer),
        delegate_person_id=pid(session, to),
        valid_from=clock.now(),
        valid_to=clock.now() + timedelta(days=7),
        actor=actor(session, reviewer),
        clock=clock,
    )
    session.commit()
    return moved


def item_of(session: Session, holder: str) -> ReviewItem:
    session.expire_all()
    (found,) = [
        i for i in session.exec(select(ReviewItem)).all() if i.frozen_grant["principal"]["name"] == holder
    ]
    return found


def reviewer_of(session: Session, holder: str) -> tuple[str, str | None]:
    found = item_of(session, holder)
    person = session.get(Person, found.reviewer_person_id)
    assert person is not None
    return person.email, found.reviewer_source


def digests(notifier: RecordingNotifier, name: str) -> list[list[str]]:
    return [sorted(view.holder for view in message.items) for message in notifier.to(name)]


def rerouted(session: Session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.kind == "item.rerouted")).all())


def test_the_delegates_own_access_goes_to_the_next_reviewer_at_once_and_on_the_record(
    session: Session,
) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    start(session, clock)

    assert delegates(session, clock, "olu", "ana") == 1

    assert reviewer_of(session, "ana") == (email("meg"), "manager")  # ana's manager, next after the owner
    assert reviewer_of(session, "ben") == (email("olu"), "owner")  # the rest stays olu's, for ana to decide
    (event,) = rerouted(session)
    assert event.actor == "slack:olu" and event.subject == f"item:{item_of(session, 'ana').id}"
    assert event.payload == {
        "campaign": item_of(session, "ana").campaign_id,
        "from": pid(session, "olu"),
        "to": pid(session, "meg"),
        "source": "manager",
        "delegate": pid(session, "ana"),
        "reason": "the reviewer's delegate holds this access",
    }
    notifier = RecordingNotifier()
    advance_notifications(session, notifier, clock=clock)
    session.commit()
    assert digests(notifier, "ana") == [["ben"]]  # olu's items, without ana's own
    assert digests(notifier, "meg") == [["ana"]]
    assert digests(notifier, "olu") == []  # olu is away: everything of theirs reached someone who decides


def test_everyone_reached_can_decide_and_the_evidence_names_who_did(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    campaign = start(session, clock)
    delegates(session, clock, "olu", "ana")
    advance_notifications(session, RecordingNotifier(), clock=clock)
    session.commit()
    clock.advance(timedelta(hours=1))
    slack = DecidedVia.SLACK
    with pytest.raises(NotAuthorized, match="own access"):
        record_decision(
            engine,
            item_id=item_of(session, "ana").id,
            outcome=DecisionOutcome.KEEP,
            actor=actor(session, "ana"),
            via=slack,
            clock=clock,
        )
    record_decision(
        engine,
        item_id=item_of(session, "ben").id,
        outcome=DecisionOutcome.KEEP,
        actor=actor(session, "ana"),
        via=slack,
        clock=clock,
    )
    record_decision(
        engine,
        item_id=item_of(session, "ana").id,
        outcome=DecisionOutcome.REVOKE,
        actor=actor(session, "meg"),
        via=slack,
        clock=clock,
    )

    assert campaign.id is not None
    evidence = read_evidence(engine, cli_operator(), campaign.id, clock=clock)
    rows = {row.principal_name: row for row in evidence.rows}
    ana, ben = rows["ana"], rows["ben"]
    assert (ana.reviewer, ana.reviewer_source, ana.decision, ana.decided_by) == (
        email("meg"),
        "manager",
        "revoke",
        email("meg"),
    )
    assert ana.decision_history[-1].delivered_at == T0  # meg's digest reached her before she decided
    assert (ben.reviewer, ben.decided_by, ben.on_behalf_of) == (email("olu"), email("ana"), email("olu"))


def test_without_a_manager_the_fallback_takes_it(session: Session) -> None:
    clock = FrozenClock(T0)
    department(ana_manager=None).sync(session, clock)
    start(session, clock)
    assert delegates(session, clock, "olu", "ana") == 1
    assert reviewer_of(session, "ana") == (FALLBACK, "fallback")


def test_someone_whose_own_items_go_to_the_holder_is_skipped(session: Session) -> None:
    """meg has also handed her items to ana: giving ana's access to meg would give it back to ana."""
    clock = FrozenClock(T0)
    department().sync(session, clock)
    start(session, clock)
    delegates(session, clock, "meg", "ana")
    assert delegates(session, clock, "olu", "ana") == 1
    assert reviewer_of(session, "ana") == (FALLBACK, "fallback")


def test_with_nobody_left_in_the_chain_the_reviewer_is_asked_directly(session: Session) -> None:
    """No manager and no fallback: the item stays olu's and reaches olu, not the delegate who holds it."""
    clock = FrozenClock(T0)
    department(ana_manager=None).sync(session, clock)
    start(
        session,
        clock,
        reviewers={"order": ["owner", "manager"]},
        escalate_after_days=None,
        on_no_response="revoke",
    )
    assert delegates(session, clock, "olu", "ana") == 0
    assert reviewer_of(session, "ana") == (email("olu"), "owner") and rerouted(session) == []
    notifier = RecordingNotifier()
    advance_notifications(session, notifier, clock=clock)
    assert digests(notifier, "ana") == [["ben"]]
    assert digests(notifier, "olu") == [["ana"]]
    (campaign,) = pending_for(session, pid(session, "ana"), clock.now())  # ana's App Home: olu's items
    assert [view.holder for view in campaign[1]] == ["ben"]  # but not her own


def test_a_delegation_made_before_the_campaign_is_applied_before_any_digest(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    assert delegates(session, clock, "olu", "ana") == 0  # nothing to review yet
    start(session, clock)
    notifier = RecordingNotifier()
    summary = advance_notifications(session, notifier, clock=clock)
    session.commit()
    assert summary.rerouted == 1
    assert digests(notifier, "ana") == [["ben"]] and digests(notifier, "meg") == [["ana"]]
    (event,) = rerouted(session)
    assert event.actor == "system:notifier"


def test_a_later_stage_whose_reviewer_delegated_to_the_holder_falls_to_the_fallback(
    engine: Engine, session: Session
) -> None:
    """Stage two is meg's; meg hands her reviews to ana; ana's kept access reaches the fallback, not ana."""
    clock = FrozenClock(T0)
    department().sync(session, clock)
    stages = [{"name": "owner"}, {"name": "privacy", "reviewer": email("meg"), "applies_to": "kept"}]
    start(session, clock, stages=stages)
    delegates(session, clock, "meg", "ana")
    record_decision(
        engine,
        item_id=item_of(session, "ana").id,
        outcome=DecisionOutcome.KEEP,
        actor=actor(session, "olu"),
        via=DecidedVia.SLACK,
        clock=clock,
    )
    assert reviewer_of(session, "ana") == (email("meg"), "stage:privacy")
    notifier = RecordingNotifier()
    advance_notifications(session, notifier, clock=clock)
    session.commit()
    assert reviewer_of(session, "ana") == (FALLBACK, "fallback")
    assert [
        view.holder for m in notifier.messages for view in m.items if m.reviewer_email == email("ana")
    ] == []

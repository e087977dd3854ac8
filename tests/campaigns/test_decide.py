"""record_decision: who may decide, idempotence, races, stages and delegation (TESTING.md Authorization)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import check_may_decide, record_decision
from reviews.campaigns.delegation import delegate
from reviews.campaigns.justification import asks_for_justification, needs_justification
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel
from reviews.errors import InvalidArgument, NotAuthorized, NotFound
from reviews.protection import Protection
from reviews.storage.models import (
    AuditEvent,
    Campaign,
    DecidedVia,
    Decision,
    DecisionOutcome,
    ItemStatus,
    Person,
    ReviewItem,
)
from tests.campaigns.world import FALLBACK, Department, cycle, email, store_cycle
from tests.helpers import T0

KEEP, REVOKE, SLACK = DecisionOutcome.KEEP, DecisionOutcome.REVOKE, DecidedVia.SLACK


def setup(session: Session, clock: FrozenClock, **overrides: object) -> Campaign:
    (
        Department()
        .store("payroll", "olu")
        .store("cases", "olu", "special-category")
        .user("ana", manager="meg")
        .user("olu", manager="meg")
        .user("eve")
        .grant("ana", "payroll")
        .grant("ana", "cases")
        .grant("olu", "payroll", AccessLevel.ADMIN)
        .grant("eve", "payroll", AccessLevel.ADMIN)
        .sync(session, clock)
    )
    definition = cycle(**overrides)
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
    ).campaign
    session.commit()
    return campaign


def person(session: Session, name: str) -> Actor:
    row = session.exec(select(Person).where(Person.email == email(name))).first()
    if row is None:
        row = Person(email=email(name), first_seen_at=T0, updated_at=T0)
        session.add(row)
        session.commit()
    return Actor(f"slack:{name}", person_id=row.id)


def hand_over(
    session: Session, clock: FrozenClock, reviewer: Actor, to: Actor, *, by: Actor | None = None
) -> None:
    """`to` decides `reviewer`'s items for a week from T0, set by `by` (the reviewer themself by default)."""
    assert reviewer.person_id is not None and to.person_id is not None
    delegate(
        session,
        person_id=reviewer.person_id,
        delegate_person_id=to.person_id,
        valid_from=T0,
        valid_to=T0 + timedelta(days=7),
        actor=by or reviewer,
        clock=clock,
    )
    session.commit()


def item(session: Session, holder: str, store: str = "payroll") -> ReviewItem:
    for row in session.exec(select(ReviewItem)).all():
        if row.frozen_grant["principal"]["name"] == holder and row.frozen_grant["store"]["name"] == store:
            session.refresh(row)
            return row
    raise AssertionError(f"no item for {holder} on {store}")


def test_the_reviewer_decides_and_it_is_recorded(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    target = item(session, "ana")
    result = record_decision(
        engine, item_id=target.id, outcome=REVOKE, actor=person(session, "olu"), via=SLACK, clock=clock
    )
    assert result.applied and result.status == ItemStatus.REVOKED
    assert item(session, "ana").status == ItemStatus.REVOKED
    decision = session.exec(select(Decision)).one()
    assert (decision.outcome, decision.via, decision.superseded) == ("revoke", "slack", False)
    assert session.exec(select(AuditEvent).where(AuditEvent.kind == "decision.recorded")).one()


def test_anyone_else_is_refused_state_unchanged_and_a_security_event_kept(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    target = item(session, "ana")
    with pytest.raises(NotAuthorized, match="only the assigned reviewer"):
        record_decision(
            engine, item_id=target.id, outcome=KEEP, actor=person(session, "eve"), via=SLACK, clock=clock
        )
    assert item(session, "ana").status == ItemStatus.PENDING
    assert session.exec(select(Decision)).all() == []
    refused = session.exec(select(AuditEvent).where(AuditEvent.kind == "security.decision_refused")).one()
    assert refused.actor == "slack:eve"


def test_nobody_decides_on_their_own_access(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    own = item(session, "olu")  # olu owns payroll; her own admin access went to her manager
    assert own.reviewer_person_id == person(session, "meg").person_id
    with pytest.raises(NotAuthorized, match="own access"):
        record_decision(
            engine, item_id=own.id, outcome=KEEP, actor=person(session, "olu"), via=SLACK, clock=clock
        )


def test_the_same_click_twice_is_one_decision(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    target, olu = item(session, "ana"), person(session, "olu")
    first = record_decision(
        engine, item_id=target.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock, request_key="T1:a1"
    )
    again = record_decision(
        engine, item_id=target.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock, request_key="T1:a1"
    )
    assert first.applied and not again.applied and again.message == "already recorded"
    assert len(session.exec(select(Decision)).all()) == 1


def test_a_click_after_the_decision_changes_nothing_and_shows_the_final_state(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    target, olu = item(session, "ana"), person(session, "olu")
    record_decision(engine, item_id=target.id, outcome=REVOKE, actor=olu, via=SLACK, clock=clock)
    late = record_decision(engine, item_id=target.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock)
    assert not late.applied and late.status == ItemStatus.REVOKED and "already decided" in late.message
    decisions = session.exec(select(Decision).order_by(Decision.id)).all()
    assert [(d.outcome, d.superseded) for d in decisions] == [("revoke", False), ("keep", True)]


def test_nothing_changes_after_close(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    campaign = setup(session, clock, on_no_response="keep")
    clock.advance(timedelta(days=15))
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    target = item(session, "ana")
    result = record_decision(
        engine, item_id=target.id, outcome=REVOKE, actor=person(session, "olu"), via=SLACK, clock=clock
    )
    assert (
        not result.applied and "closed" in result.message and item(session, "ana").status == ItemStatus.KEPT
    )


def test_keeping_special_category_access_needs_a_justification(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    target, olu = item(session, "ana", "cases"), person(session, "olu")
    with pytest.raises(InvalidArgument, match="justification"):
        record_decision(engine, item_id=target.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock)
    result = record_decision(
        engine,
        item_id=target.id,
        outcome=KEEP,
        actor=olu,
        via=SLACK,
        clock=clock,
        justification="case officer",
    )
    assert result.applied
    assert session.exec(select(Decision)).one().justification == "case officer"


def test_the_chat_asks_for_a_justification_exactly_when_the_rule_needs_one(
    engine: Engine, session: Session
) -> None:
    """README, Slack: "Keeping special-category access opens a modal for the justification"; the rule is
    decided once (reviews/campaigns/justification.py), by record_decision and the bot alike: revoking needs
    none, nor does keeping an item not marked, and a decided item is not asked about again."""
    clock = FrozenClock(T0)
    setup(session, clock)
    special, plain = item(session, "ana", "cases"), item(session, "ana", "payroll")
    assert special.justification_required and not plain.justification_required
    assert needs_justification(KEEP, justification_required=True)
    assert not needs_justification(REVOKE, justification_required=True)
    assert asks_for_justification(engine, item_id=special.id, outcome=KEEP)
    assert not asks_for_justification(engine, item_id=special.id, outcome=REVOKE)
    assert not asks_for_justification(engine, item_id=plain.id, outcome=KEEP)
    assert not asks_for_justification(engine, item_id=10**9, outcome=KEEP)  # no such item: nothing to ask
    olu = person(session, "olu")
    record_decision(engine, item_id=special.id, outcome=REVOKE, actor=olu, via=SLACK, clock=clock)
    assert not asks_for_justification(engine, item_id=special.id, outcome=KEEP)


def test_a_delegate_decides_for_the_reviewer_within_the_period(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    olu, dan = person(session, "olu"), person(session, "dan")
    assert olu.person_id is not None and dan.person_id is not None
    hand_over(session, clock, olu, dan)
    target = item(session, "ana")
    result = record_decision(engine, item_id=target.id, outcome=KEEP, actor=dan, via=SLACK, clock=clock)
    assert result.applied
    assert session.exec(select(Decision)).one().on_behalf_of_person_id == olu.person_id
    clock.advance(timedelta(days=8))  # the delegation ended
    other = item(session, "eve")
    with pytest.raises(NotAuthorized):
        record_decision(engine, item_id=other.id, outcome=KEEP, actor=dan, via=SLACK, clock=clock)


def test_only_the_reviewer_or_an_admin_sets_a_delegate(session: Session) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    olu, eve, dan = person(session, "olu"), person(session, "eve"), person(session, "dan")
    assert olu.person_id and dan.person_id
    with pytest.raises(NotAuthorized):
        hand_over(session, clock, olu, dan, by=eve)


def test_kept_admin_access_goes_to_the_second_stage(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    setup(
        session,
        clock,
        stages=[{"name": "owner"}, {"name": "security", "reviewer": FALLBACK, "applies_to": "kept_admin"}],
    )
    admin, read = item(session, "eve"), item(session, "ana")
    olu = person(session, "olu")
    record_decision(engine, item_id=admin.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock)
    record_decision(engine, item_id=read.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock)
    admin, read = item(session, "eve"), item(session, "ana")
    assert (admin.status, admin.stage, admin.reviewer_source) == (ItemStatus.PENDING, 2, "stage:security")
    assert admin.reviewer_person_id == person(session, "security").person_id
    assert (read.status, read.stage) == (ItemStatus.KEPT, 1)
    final = record_decision(
        engine, item_id=admin.id, outcome=REVOKE, actor=person(session, "security"), via=SLACK, clock=clock
    )
    assert final.applied and final.status == ItemStatus.REVOKED


def test_two_people_deciding_at_once_one_wins_the_other_is_superseded(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    setup(session, clock)
    olu, dan = person(session, "olu"), person(session, "dan")
    assert olu.person_id and dan.person_id
    hand_over(session, clock, olu, dan)
    target = item(session, "ana")
    barrier, results, errors = threading.Barrier(2), [], []

    def click(actor: Actor, outcome: DecisionOutcome) -> None:
        barrier.wait()
        try:
            results.append(
                record_decision(
                    engine, item_id=target.id, outcome=outcome, actor=actor, via=SLACK, clock=clock
                )
            )
        except Exception as exc:  # noqa: BLE001  (reported below: the test fails on any error)
            errors.append(exc)

    threads = [
        threading.Thread(target=click, args=(olu, KEEP)),
        threading.Thread(target=click, args=(dan, REVOKE)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.applied for r in results) == [False, True]
    decisions = session.exec(select(Decision)).all()
    assert sorted(d.superseded for d in decisions) == [False, True]
    winner = next(d for d in decisions if not d.superseded)
    assert item(session, "ana").status == (
        ItemStatus.KEPT if winner.outcome == "keep" else ItemStatus.REVOKED
    )


def test_a_justification_is_at_most_3000_characters_wherever_it_comes_from(
    engine: Engine, session: Session
) -> None:
    """Refused before anything is stored (the decision and the audit payload would both hold it); exactly
    3,000 (Slack's own ceiling for a modal's text input) is kept, surrounding spaces not counted."""
    clock = FrozenClock(T0)
    setup(session, clock)
    target, olu = item(session, "ana", "cases"), person(session, "olu")
    events = len(session.exec(select(AuditEvent)).all())
    for oversized in ("x" * 500_000, "y" * 3_001):
        with pytest.raises(InvalidArgument, match=r"at most 3,000 characters"):
            record_decision(
                engine,
                item_id=target.id,
                outcome=KEEP,
                actor=olu,
                via=DecidedVia.CLI,
                clock=clock,
                justification=oversized,
            )
    assert session.exec(select(Decision)).all() == []
    assert len(session.exec(select(AuditEvent)).all()) == events
    assert item(session, "ana", "cases").status == ItemStatus.PENDING
    spaced = f"  {'z' * 3_000}\n"
    record_decision(
        engine, item_id=target.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock, justification=spaced
    )
    assert session.exec(select(Decision)).one().justification == "z" * 3_000


def test_whether_someone_may_decide_is_checked_before_anything_is_shown(
    engine: Engine, session: Session
) -> None:
    """`check_may_decide` gates what the Slack modal shows: the reviewer passes, anyone else is refused and
    the refusal is recorded as a refused decision is; an unknown item is NotFound. Nothing is decided."""
    clock = FrozenClock(T0)
    setup(session, clock)
    target = item(session, "ana", "cases")
    check_may_decide(
        engine, item_id=target.id, actor=person(session, "olu"), outcome=KEEP, via=SLACK, clock=clock
    )
    with pytest.raises(NotAuthorized, match="only the assigned reviewer") as refused:
        check_may_decide(
            engine, item_id=target.id, actor=person(session, "eve"), outcome=KEEP, via=SLACK, clock=clock
        )
    assert "ana" not in str(refused.value) and "cases" not in str(refused.value)
    with pytest.raises(NotFound):
        check_may_decide(
            engine, item_id=999_999, actor=person(session, "eve"), outcome=KEEP, via=SLACK, clock=clock
        )
    event = session.exec(select(AuditEvent).where(AuditEvent.kind == "security.decision_refused")).one()
    assert (event.actor, event.subject) == ("slack:eve", f"item:{target.id}")
    assert session.exec(select(Decision)).all() == []
    assert item(session, "ana", "cases").status == ItemStatus.PENDING

"""Bulk decisions: "accept all recommendations" and "keep all", one reviewer's items, every rule per item."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.bulk import BulkMode, record_bulk
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.protection import Protection
from reviews.storage.models import DecidedVia, Decision, ItemStatus, Person, ReviewItem
from tests.campaigns.world import Department, cycle, email, store_cycle, used
from tests.helpers import T0


def setup(session: Session, clock: FrozenClock) -> tuple[int, Actor]:
    (
        Department()
        .store("payroll", "olu")
        .store("cases", "olu", "special-category")
        .store("hr", "pat")
        .user("ana")
        .user("ben")
        .user("cy")
        .user("dee")
        .grant("ana", "payroll", used=used(T0 - timedelta(days=2)))  # recommended keep
        .grant("ben", "payroll", used=used(T0 - timedelta(days=300)))  # recommended revoke
        .grant("cy", "payroll")  # usage unknown: no recommendation
        .grant("dee", "cases", used=used(T0 - timedelta(days=1)))  # keep, but needs a justification
        .grant("ana", "hr")  # pat's item, not olu's
        .sync(session, clock)
    )
    definition = cycle()
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
    ).campaign
    session.commit()
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    assert campaign.id is not None
    return campaign.id, Actor("slack:olu", olu.id)


def statuses(session: Session) -> dict[tuple[str, str], str]:
    session.expire_all()
    return {
        (i.frozen_grant["principal"]["name"], i.frozen_grant["store"]["name"]): i.status
        for i in session.exec(select(ReviewItem)).all()
    }


def test_accept_all_recommendations_decides_what_has_one_and_skips_the_rest(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    campaign_id, olu = setup(session, clock)
    result = record_bulk(
        engine,
        campaign_id=campaign_id,
        mode=BulkMode.ACCEPT_RECOMMENDATIONS,
        actor=olu,
        via=DecidedVia.SLACK,
        clock=clock,
        request_key="T1:bulk1",
    )
    assert dict(result.decided) == {"keep": 2, "revoke": 1} or dict(result.decided) == {
        "keep": 1,
        "revoke": 1,
    }
    assert statuses(session)[("ana", "payroll")] == ItemStatus.KEPT
    assert statuses(session)[("ben", "payroll")] == ItemStatus.REVOKED
    assert statuses(session)[("cy", "payroll")] == ItemStatus.PENDING
    assert statuses(session)[("dee", "cases")] == ItemStatus.PENDING  # needs a justification
    assert statuses(session)[("ana", "hr")] == ItemStatus.PENDING  # not olu's to decide
    assert result.skipped["no recommendation: decide it yourself"] == 1
    assert result.skipped["keeping it needs a justification: decide it on its own"] == 1


def test_keep_all_keeps_every_item_of_the_reviewer_and_a_repeat_changes_nothing(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    campaign_id, olu = setup(session, clock)
    first = record_bulk(
        engine,
        campaign_id=campaign_id,
        mode=BulkMode.KEEP_ALL,
        actor=olu,
        via=DecidedVia.SLACK,
        clock=clock,
        request_key="T1:bulk2",
    )
    assert first.decided["keep"] == 3
    again = record_bulk(
        engine,
        campaign_id=campaign_id,
        mode=BulkMode.KEEP_ALL,
        actor=olu,
        via=DecidedVia.SLACK,
        clock=clock,
        request_key="T1:bulk2",
    )
    assert sum(again.decided.values()) == 0
    assert len(session.exec(select(Decision)).all()) == 3

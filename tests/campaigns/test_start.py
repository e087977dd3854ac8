"""Starting a campaign: the frozen population, reviewers, recommendations with evidence, and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from reviews.actors import cli_operator
from reviews.campaigns.population import open_grants, population_sha256
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel
from reviews.errors import CampaignRefused
from reviews.inventory.apply import record_failed_sync
from reviews.protection import Protection
from reviews.storage.models import AuditEvent, Campaign, Person, ReviewItem
from tests.campaigns.world import FALLBACK, Department, cycle, email, store_cycle, used
from tests.helpers import T0

NOBODY = Protection.of([], [])


def department() -> Department:
    return (
        Department()
        .store("payroll", "olu")
        .store("cases", "olu", "special-category")
        .user("ana", manager="meg")
        .user("ben")
        .user("cat", enabled=False)
        .user("gus", guest=True)
        .user("olu", manager="meg")
        .user("break-glass-1")
        .grant("ana", "payroll", used=used(T0 - timedelta(days=3)))
        .grant("ben", "payroll", used=used(T0 - timedelta(days=200)))
        .grant("cat", "payroll")
        .grant("gus", "cases")
        .grant("olu", "payroll", AccessLevel.ADMIN)
        .grant("break-glass-1", "cases", AccessLevel.ADMIN)
    )


def started(session: Session, clock: FrozenClock, **overrides: object) -> Campaign:
    definition = cycle(**overrides)
    row = store_cycle(session, definition, clock.now())
    result = start_campaign(
        session,
        row,
        definition,
        actor=cli_operator(),
        clock=clock,
        protection=Protection.of([], ["break-glass*"]),
    )
    session.commit()
    return result.campaign


def items_by_holder(session: Session, campaign: Campaign) -> dict[str, ReviewItem]:
    items = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
    return {item.frozen_grant["principal"]["name"]: item for item in items}


def person_email(session: Session, person_id: int | None) -> str | None:
    person = session.get(Person, person_id) if person_id else None
    return person.email if person else None


def test_freezes_the_population_with_count_and_hash(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    campaign = started(session, clock)
    assert campaign.population_count == 6
    assert campaign.population_sha256 == population_sha256(open_grants(session))
    assert campaign.due_at == T0 + timedelta(days=14)
    event = session.exec(select(AuditEvent).where(AuditEvent.kind == "campaign.started")).one()
    assert event.payload["population_count"] == 6
    assert event.payload["population_sha256"] == campaign.population_sha256
    # The hash is of what was frozen: a later sync changes the grants, not the campaign.
    clock.advance(timedelta(hours=1))
    department().revoke("ana", "payroll").sync(session, clock)
    session.refresh(campaign)
    assert campaign.population_count == 6
    assert len(items_by_holder(session, campaign)) == 6


def test_recommendations_carry_their_evidence_and_unknown_usage_is_never_inactive(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    items = items_by_holder(session, started(session, clock))
    assert items["ana"].recommendation == "keep"
    assert items["ben"].recommendation == "revoke"
    assert items["ben"].recommendation_evidence["inactive"] is True
    assert items["ben"].recommendation_evidence["source"] == "iam:service-last-accessed"
    assert items["ben"].recommendation_evidence["last_used_at"] == (T0 - timedelta(days=200)).isoformat()
    assert items["cat"].recommendation == "revoke"
    assert "disabled" in items["cat"].recommendation_evidence["reason"]
    assert items["gus"].recommendation == "revoke"
    assert "guest" in items["gus"].recommendation_evidence["reason"]
    # olu's last use was never measured: no recommendation, and the reason says why.
    assert items["olu"].recommendation is None
    assert "unknown" in items["olu"].recommendation_evidence["reason"]


def test_reviewers_owner_then_manager_and_nobody_reviews_their_own_access(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    items = items_by_holder(session, started(session, clock))
    assert person_email(session, items["ana"].reviewer_person_id) == email("olu")
    assert items["ana"].reviewer_source == "owner"
    # olu owns payroll and holds admin on it: her manager reviews it.
    assert person_email(session, items["olu"].reviewer_person_id) == email("meg")
    assert items["olu"].reviewer_source == "manager"
    assert "own" in items["olu"].recommendation_evidence["reviewer_note"]


def test_special_category_needs_a_justification_to_keep(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    items = items_by_holder(session, started(session, clock))
    assert items["gus"].justification_required is True  # cases is special-category
    assert items["ana"].justification_required is False


def test_scope_exclusions_and_protected_principals_are_reported(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    campaign = started(
        session,
        clock,
        scope={"access": ["read"]},
        exclusions=[{"principal": "ana", "reason": "payroll service owner"}],
    )
    names = set(items_by_holder(session, campaign))
    assert names == {"ben", "cat", "gus"}
    assert campaign.notes["excluded"] == {"payroll service owner": 1}
    admin = started(session, clock, name="admins", scope={"access": ["admin"]})
    assert admin.notes["protected_in_scope"] == 1
    assert "break-glass-1" in admin.notes["protected_examples"][0]


def test_guests_only_and_inactive_only_scopes(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    assert set(items_by_holder(session, started(session, clock, scope={"guests_only": True}))) == {"gus"}
    inactive = started(session, clock, name="inactive", scope={"inactive_only": True})
    assert set(items_by_holder(session, inactive)) == {"ben"}


def test_same_period_starts_once(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    definition = cycle()
    row = store_cycle(session, definition, T0)
    first = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=NOBODY, period_key="2026-Q1"
    )
    again = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=NOBODY, period_key="2026-Q1"
    )
    session.commit()
    assert first.created and not again.created
    assert first.campaign.id == again.campaign.id
    assert len(session.exec(select(Campaign)).all()) == 1


def test_a_stale_sync_blocks_the_campaign(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    clock.advance(timedelta(hours=25))
    with pytest.raises(CampaignRefused, match="25.0 h old"):
        started(session, clock)
    assert session.exec(select(Campaign)).all() == []


def test_a_failed_latest_sync_blocks_the_campaign(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    clock.advance(timedelta(hours=1))
    record_failed_sync(
        "aws", "AccessDenied on account 222233334444", session=session, clock=clock, started_at=clock.now()
    )
    session.commit()
    with pytest.raises(CampaignRefused, match="AccessDenied"):
        started(session, clock)
    assert session.exec(select(Campaign)).all() == []


def test_nothing_synced_blocks_the_campaign(session: Session) -> None:
    with pytest.raises(CampaignRefused, match="sync"):
        started(session, FrozenClock(T0))


def test_unknown_reviewers_become_people_so_they_can_be_reached(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    started(session, clock)
    assert session.exec(select(Person).where(Person.email == FALLBACK)).one()

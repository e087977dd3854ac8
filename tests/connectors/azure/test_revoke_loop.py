"""Azure revocation through the whole review loop, with the real connector against the ARM and Graph
simulators: sync → campaign → the owner decides revoke → close → plan (inside the safety envelope) →
approve → the outbox executes in live mode → the next sync finds the access gone. An assignment inherited
from the subscription is left to a person with the reason and the manual fix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import record_decision
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.enforcement.outbox import approve, execute
from reviews.enforcement.plan import plan_revocations
from reviews.enforcement.settings import EnforcementSettings
from reviews.inventory.apply import apply_snapshot
from reviews.protection import Protection
from reviews.storage.models import (
    AccessGrant,
    DecidedVia,
    DecisionOutcome,
    ItemStatus,
    Person,
    Principal,
    ReviewItem,
    Revocation,
    RevocationState,
)
from tests.campaigns.world import cycle, store_cycle
from tests.connectors.azure.revoke_estate import STORE, Estate, open_estate
from tests.helpers import T0


@pytest.fixture
def estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    yield from open_estate(monkeypatch, FrozenClock(T0))


def test_a_revoked_assignment_and_membership_are_gone_at_the_next_sync(
    session: Session, engine: Engine, estate: Estate
) -> None:
    connector, clock = estate.connector, estate.clock

    def sync() -> None:
        apply_snapshot(connector.snapshot(), session=session, clock=clock, max_drop=None)
        session.commit()

    sync()
    definition = cycle()
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
    ).campaign
    session.commit()
    items = {
        (i.frozen_grant["principal"]["id"], i.frozen_grant["access"]): i
        for i in session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
        if i.frozen_grant["store"]["id"] == STORE
    }
    chosen = [items[(estate.ids[who], "read")] for who in ("ana", "bob", "dan")]
    for item in chosen:
        reviewer = session.get(Person, item.reviewer_person_id)
        assert reviewer is not None and item.id is not None and reviewer.id is not None
        record_decision(
            engine,
            item_id=item.id,
            outcome=DecisionOutcome.REVOKE,
            actor=Actor(f"slack:{reviewer.email}", person_id=reviewer.id),
            via=DecidedVia.SLACK,
            clock=clock,
            justification="not needed",
        )
    clock.advance(timedelta(days=15))
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    sync()  # planning needs a fresh sync
    plan_revocations(
        session,
        campaign,
        {"azure": connector},
        settings=EnforcementSettings.model_validate({"blast_radius_count": 1000, "blast_radius_share": 1.0}),
        protection=Protection.of([], []),
        auto_apply=False,
        cycle_name="quarterly",
        clock=clock,
    )
    session.commit()
    dan = chosen[2]
    session.refresh(dan)
    assert dan.status == ItemStatus.NEEDS_HUMAN_REVIEW and dan.human_review_reason is not None
    assert "inherited from /subscriptions/" in dan.human_review_reason
    assert "az role assignment delete --ids" in dan.human_review_reason

    approve(session, None, campaign_id=campaign.id, actor=cli_operator(), clock=clock)
    session.commit()
    execute(engine, {"azure": connector}, settings=EnforcementSettings(mode="live"), clock=clock, worker="w1")
    session.expire_all()
    rows = session.exec(select(Revocation).where(Revocation.campaign_id == campaign.id)).all()
    assert sorted(r.action["kind"] for r in rows) == ["delete_role_assignment", "remove_group_member"]
    assert {r.state for r in rows} == {RevocationState.APPLIED}, [(r.state, r.last_error) for r in rows]
    assert all(r.read_back_at is not None and not r.dry_run for r in rows)
    assert (
        estate.assignments_of("ana") == []
        and estate.ids["bob"] not in estate.tenant.members[estate.ids["hr"]]
    )

    clock.advance(timedelta(hours=1))
    sync()
    gone = {
        p.provider_id: g.valid_to
        for g, p in session.exec(
            select(AccessGrant, Principal).where(AccessGrant.principal_id == Principal.id)
        ).all()
        if g.access == "read"
    }
    assert gone[estate.ids["ana"]] is not None and gone[estate.ids["bob"]] is not None
    assert gone[estate.ids["dan"]] is None
    session.expire_all()
    rows = session.exec(select(Revocation).where(Revocation.campaign_id == campaign.id)).all()
    assert {r.state for r in rows} == {RevocationState.VERIFIED}

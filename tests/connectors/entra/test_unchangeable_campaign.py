"""A revocation decided in a campaign over a group Graph will not change (role-assignable, mail-enabled) is
left to a person with the reason at planning: never queued to fail at apply time. Through the real
connector, the Graph simulator and the database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.entra.connector import EntraConnector
from reviews.actors import Actor, cli_operator
from reviews.campaigns.decide import record_decision
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.enforcement.plan import plan_revocations
from reviews.enforcement.settings import EnforcementSettings
from reviews.inventory.apply import apply_snapshot
from reviews.protection import Protection
from reviews.storage.models import DecidedVia, DecisionOutcome, ItemStatus, Person, ReviewItem, Revocation
from simulators.graph import GraphSimulator
from tests.campaigns.world import cycle, store_cycle
from tests.connectors.entra.conftest import SECRETS, Department, settings_for
from tests.helpers import T0


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("role-assignable", "RoleManagement.ReadWrite.Directory"),
        ("mail-enabled", "read-only through Microsoft Graph"),
    ],
)
def test_a_revoke_decision_on_a_group_graph_will_not_change_is_left_to_a_person(
    engine: Engine,
    session: Session,
    simulator: GraphSimulator,
    department: Department,
    kind: str,
    reason: str,
) -> None:
    """Add members: "To add members to a role-assignable group, the app must also be assigned the
    RoleManagement.ReadWrite.Directory permission" (Recertify does not ask for it); "Working with groups in
    Microsoft Graph": "Mail-enabled and distribution groups are read-only through Microsoft Graph"."""
    t, ids = department.tenant, department.ids
    group = (
        t.add_group("helpdesk-admins", role_assignable=True)
        if kind == "role-assignable"
        else t.add_group("helpdesk-admins", mail_enabled=True)
    )
    t.add_member(group, ids["ana"])
    t.add_owner(group, ids["olu"])
    clock = FrozenClock(T0)
    settings = settings_for(simulator, personal_data_groups=["helpdesk-admins"], personal_data_apps=[])
    connector = EntraConnector(settings, SECRETS, clock=clock, sleep=lambda _s: None)
    apply_snapshot(connector.snapshot(), session=session, clock=clock)
    session.commit()
    definition = cycle()
    campaign = start_campaign(
        session,
        store_cycle(session, definition, clock.now()),
        definition,
        actor=cli_operator(),
        clock=clock,
        protection=Protection.of([], []),
    ).campaign
    session.commit()
    [item] = [
        i
        for i in session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
        if i.frozen_grant["principal"]["name"] == "Ana"
    ]
    olu = session.exec(select(Person).where(Person.email == "olu@dept.example.gov")).one()
    assert item.id is not None and olu.id is not None and item.reviewer_person_id == olu.id
    record_decision(
        engine,
        item_id=item.id,
        outcome=DecisionOutcome.REVOKE,
        actor=Actor("slack:olu", person_id=olu.id),
        via=DecidedVia.SLACK,
        clock=clock,
        justification="left the helpdesk",
    )
    summary = plan_revocations(
        session,
        campaign,
        {"entra": connector},
        settings=EnforcementSettings(mode="live"),
        protection=Protection.of([], []),
        auto_apply=True,
        cycle_name="quarterly",
        clock=clock,
    )
    session.commit()
    session.expire_all()
    decided = session.get(ReviewItem, item.id)
    assert decided is not None and decided.status == ItemStatus.NEEDS_HUMAN_REVIEW
    assert reason in (decided.human_review_reason or "")
    assert (summary.planned, summary.needs_human_review) == (0, 1)
    assert session.exec(select(Revocation)).all() == []
    assert ids["ana"] in t.direct_members(group)

"""The hidden Entra readers through the whole review loop, with the real Entra connector against the Graph
simulator: sync → rows → campaign → the owner decides → close → plan → outbox → the next sync.

- An app that does not require assignment: its tenant-wide principals are an item for the app's owner;
  revoking it plans nothing automatic, it is left to a person with the reason and the fix ("If this option is
  set to **Yes**, then users and other applications or services must first be assigned this application
  before being able to access it", Properties of an enterprise application).
- A PIM for Groups eligibility: revoked by `adminRemove` ("For administrators to remove principals from
  group membership or ownership eligibilities", Create eligibilityScheduleRequest), verified by the next
  sync. A principal both active and eligible: removing the membership does not end the access, and the
  next sync says the revocation survived (the eligibility still grants it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.entra.connector import EntraConnector
from reviews.actors import Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import record_decision
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.enforcement.outbox import approve, execute
from reviews.enforcement.plan import PlanSummary, plan_revocations
from reviews.enforcement.settings import EnforcementSettings
from reviews.inventory.apply import apply_snapshot
from reviews.protection import Protection
from reviews.storage.models import (
    AccessGrant,
    Campaign,
    DecidedVia,
    DecisionOutcome,
    ItemStatus,
    Person,
    Principal,
    ReviewItem,
    Revocation,
    RevocationState,
)
from simulators.graph import GraphSimulator
from tests.campaigns.world import cycle, store_cycle
from tests.connectors.entra.conftest import SECRETS, Department, settings_for
from tests.helpers import T0

END = datetime(2027, 3, 1, tzinfo=UTC)
OLU = "olu@dept.example.gov"  # owns payroll and Casework: their reviewer


@dataclass
class Loop:
    session: Session
    engine: Engine
    clock: FrozenClock
    connector: EntraConnector

    def sync(self) -> None:
        apply_snapshot(self.connector.snapshot(), session=self.session, clock=self.clock, max_drop=None)
        self.session.commit()

    def start(self, on_no_response: str = "keep") -> Campaign:
        definition = cycle(on_no_response=on_no_response)
        row = store_cycle(self.session, definition, self.clock.now())
        campaign = start_campaign(
            self.session,
            row,
            definition,
            actor=cli_operator(),
            clock=self.clock,
            protection=Protection.of([], []),
        ).campaign
        self.session.commit()
        return campaign

    def item(self, campaign: Campaign, principal_provider_id: str, store: str) -> ReviewItem:
        return next(
            i
            for i in self.session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
            if i.frozen_grant["principal"]["id"] == principal_provider_id
            and i.frozen_grant["store"]["id"] == store
        )

    def reviewed_by(self, item: ReviewItem) -> tuple[str, str | None]:
        reviewer = self.session.get(Person, item.reviewer_person_id)
        assert reviewer is not None
        return reviewer.email, item.reviewer_source

    def owner_revokes(self, item: ReviewItem) -> None:
        olu = self.session.exec(select(Person).where(Person.email == OLU)).one()
        assert item.id is not None and olu.id is not None
        record_decision(
            self.engine,
            item_id=item.id,
            outcome=DecisionOutcome.REVOKE,
            actor=Actor("slack:olu", person_id=olu.id),
            via=DecidedVia.SLACK,
            clock=self.clock,
            justification="not needed",
        )

    def close_and_plan(self, campaign: Campaign) -> PlanSummary:
        self.clock.advance(timedelta(days=15))
        close_campaign(self.session, campaign, actor=cli_operator(), clock=self.clock)
        self.session.commit()
        self.sync()  # planning needs a fresh sync
        summary = plan_revocations(
            self.session,
            campaign,
            {"entra": self.connector},
            settings=EnforcementSettings.model_validate(
                {"blast_radius_count": 1000, "blast_radius_share": 1.0}
            ),
            protection=Protection.of([], []),
            auto_apply=False,
            cycle_name="quarterly",
            clock=self.clock,
        )
        self.session.commit()
        return summary

    def approve_and_execute(self, campaign: Campaign) -> None:
        approve(self.session, None, campaign_id=campaign.id, actor=cli_operator(), clock=self.clock)
        self.session.commit()
        execute(self.engine, {"entra": self.connector}, settings=EnforcementSettings(mode="live"),
                clock=self.clock, worker="w1")  # fmt: skip
        self.clock.advance(timedelta(hours=1))
        self.sync()

    def revocations(self, campaign: Campaign) -> list[Revocation]:
        self.session.expire_all()
        return list(self.session.exec(select(Revocation).where(Revocation.campaign_id == campaign.id)).all())


def loop_for(session: Session, engine: Engine, simulator: GraphSimulator) -> Loop:
    clock = FrozenClock(T0)
    connector = EntraConnector(settings_for(simulator), SECRETS, clock=clock, sleep=lambda _s: None)
    loop = Loop(session, engine, clock, connector)
    loop.sync()
    return loop


def test_a_tenant_wide_app_is_reviewed_by_its_owner_and_left_to_a_person(
    session: Session, engine: Engine, simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    t.set_assignment_required(ids["app"], False)
    loop = loop_for(session, engine, simulator)
    tenant = {
        p.provider_id: p for p in session.exec(select(Principal).where(Principal.type == "entra_tenant"))
    }
    assert tenant["tenant:members"].name == "All 255 members of the tenant"
    assert tenant["tenant:members"].person_id is None and tenant["tenant:guests"].guest is True
    grant = session.exec(
        select(AccessGrant).where(AccessGrant.principal_id == tenant["tenant:members"].id)
    ).one()
    assert grant.access == "read" and grant.valid_to is None
    assert grant.path == [
        {
            "kind": "app_setting",
            "id": ids["app"],
            "name": "assignment not required: every user of the tenant can sign in",
        }
    ]

    campaign = loop.start()
    item = loop.item(campaign, "tenant:members", ids["app"])
    assert loop.reviewed_by(item) == (OLU, "owner")  # the app's owner: nobody *is* the whole tenant
    assert item.holder_person_id is None
    loop.owner_revokes(item)
    summary = loop.close_and_plan(campaign)
    session.refresh(item)
    assert item.status == ItemStatus.NEEDS_HUMAN_REVIEW
    assert item.human_review_reason is not None
    assert "every user of the tenant can sign in to Casework" in item.human_review_reason
    assert "set Assignment required to Yes on the enterprise app" in item.human_review_reason
    assert summary.needs_human_review == 1 and loop.revocations(campaign) == []
    assert not [
        r for r in simulator.requests if r.method in ("POST", "DELETE", "PATCH") and "$batch" not in r.path
    ]


def test_left_unanswered_the_recommended_revocation_is_still_left_to_a_person(
    session: Session, engine: Engine, simulator: GraphSimulator, department: Department
) -> None:
    """Nobody answers: the cycle follows the recommendation, revoke for an exposure nobody marked as intended;
    planning still refuses, so silence never changes the app's setting."""
    t, ids = department.tenant, department.ids
    t.set_assignment_required(ids["app"], False)
    loop = loop_for(session, engine, simulator)
    campaign = loop.start(on_no_response="recommendation")
    item = loop.item(campaign, "tenant:guests", ids["app"])
    assert item.recommendation == "revoke"
    for each in session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all():
        each.delivered_at = each.reminded_at = each.escalated_at = loop.clock.now()  # silence may decide
        session.add(each)
    session.commit()
    loop.close_and_plan(campaign)
    session.refresh(item)
    assert item.status == ItemStatus.NEEDS_HUMAN_REVIEW
    assert "set Assignment required to Yes" in (item.human_review_reason or "")
    assert not [r for r in loop.revocations(campaign) if r.principal_id == item.principal_id]
    assert t.service_principals[ids["app"]]["appRoleAssignmentRequired"] is False


def test_an_eligibility_is_revoked_by_ending_it_and_verified_by_the_next_sync(
    session: Session, engine: Engine, simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["cat"], end=END)
    loop = loop_for(session, engine, simulator)
    campaign = loop.start()
    item = loop.item(campaign, ids["cat"], ids["payroll"])
    assert item.frozen_grant["path"] == [
        {"kind": "eligible_member", "id": ids["payroll"], "name": "payroll: eligible until 2027-03-01"}
    ]
    assert loop.reviewed_by(item) == (OLU, "owner")
    loop.owner_revokes(item)
    assert loop.close_and_plan(campaign).planned == 1
    loop.approve_and_execute(campaign)
    assert t.pim.eligible(ids["payroll"]) == []
    (revocation,) = loop.revocations(campaign)
    assert revocation.action["kind"] == "remove_group_eligibility"
    assert revocation.state == RevocationState.VERIFIED


def test_active_and_eligible_a_removed_membership_is_not_reported_as_success(
    session: Session, engine: Engine, simulator: GraphSimulator, department: Department
) -> None:
    """ben is a direct member of payroll and an eligible member too: the review shows the active path, whose
    removal leaves the eligibility; the next sync still finds ben's read, and the revocation survived."""
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["ben"], end=END)
    loop = loop_for(session, engine, simulator)
    campaign = loop.start()
    item = loop.item(campaign, ids["ben"], ids["payroll"])
    assert [s["kind"] for s in item.frozen_grant["path"]] == ["group"]
    loop.owner_revokes(item)
    assert loop.close_and_plan(campaign).planned == 1
    loop.approve_and_execute(campaign)
    assert ids["ben"] not in t.direct_members(ids["payroll"])  # the membership went…
    (revocation,) = loop.revocations(campaign)
    assert revocation.action["kind"] == "remove_group_member"
    assert revocation.state == RevocationState.SURVIVED  # …the access did not
    session.expire_all()
    grant = session.get(AccessGrant, revocation.grant_id)  # the same access, read by its remaining path
    assert grant is not None and grant.valid_to is None
    assert grant.path == [
        {"kind": "eligible_member", "id": ids["payroll"], "name": "payroll: eligible until 2027-03-01"}
    ]

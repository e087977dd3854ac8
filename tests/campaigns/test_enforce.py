"""From a closed campaign to the provider: planning inside the safety envelope, approval, execution,
undo, and what a later sync says (TESTING.md "Revocation safety"), against the fake provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import record_decision
from reviews.campaigns.plan import plan_revocations
from reviews.campaigns.protection import Protection
from reviews.campaigns.start import start_campaign
from reviews.campaigns.triggered import open_triggered_reviews
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel
from reviews.errors import PopulationDropped
from reviews.models import (
    AuditEvent,
    Campaign,
    CampaignKind,
    DecidedVia,
    DecisionOutcome,
    ItemStatus,
    Person,
    ReviewItem,
    Revocation,
    RevocationState,
)
from reviews.operations.outbox import approve, execute, undo
from reviews.operations.sync_inventory import apply_snapshot, record_failed_sync
from reviews.settings import EnforcementSettings
from tests.campaigns.world import FALLBACK, cycle, email, store_cycle
from tests.fakes.provider import FakeConnector, FakeProvider
from tests.helpers import T0

PAYROLL = "arn:aws:s3:::payroll"
READERS, ADMINS = "g-payroll-read", "g-payroll-admin"
PROTECT = Protection.of([], ["break-glass*"])
LIVE = EnforcementSettings(mode="live")
DRY = EnforcementSettings(mode="dry-run")


def arn(name: str) -> str:
    return f"arn:aws:iam::111122223333:user/{name}"


def provider_with(readers: int, clock: FrozenClock) -> FakeProvider:
    provider = FakeProvider(":memory:")
    provider.add_store(PAYROLL, name="payroll", owners=(email("olu"),))
    provider.add_group(READERS, store_id=PAYROLL, name="payroll-read")
    provider.add_group(ADMINS, store_id=PAYROLL, name="payroll-admin", access=AccessLevel.ADMIN)
    for name in ("olu", "break-glass-1", *(f"u{i:02d}" for i in range(readers))):
        provider.add_principal(arn(name), email=email(name), last_used=clock.now() - timedelta(days=200))
        provider.add_member(READERS, arn(name))
    provider.add_member(ADMINS, arn("olu"))
    return provider


def sync(session: Session, connector: FakeConnector, clock: FrozenClock, max_drop: float | None = 0.3) -> int:
    summary = apply_snapshot(connector.snapshot(), session=session, clock=clock, max_drop=max_drop)
    session.commit()
    return summary.sync_run_id


def closed_campaign(
    session: Session, provider: FakeProvider, clock: FrozenClock, **overrides: object
) -> Campaign:
    """Everything left to the no-response policy "recommendation": every reader is inactive → revoke.
    Escalation delivers and reminds, so silence may revoke (DESIGN §3.7)."""
    definition = cycle(on_no_response="recommendation", **overrides)
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=PROTECT
    ).campaign
    for item in session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all():
        item.delivered_at, item.reminded_at, item.escalated_at = clock.now(), clock.now(), clock.now()
        session.add(item)
    session.commit()
    clock.advance(timedelta(days=15))
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    sync(session, FakeConnector(provider, clock=clock), clock)  # planning needs a fresh, complete sync
    return campaign


def plan(
    session: Session, campaign: Campaign, connector: FakeConnector, clock: FrozenClock, **settings: object
):
    summary = plan_revocations(
        session,
        campaign,
        {"aws": connector},
        # Limits out of the way unless a test sets them: most tests are about something else.
        settings=EnforcementSettings(**{"blast_radius_count": 1000, "blast_radius_share": 1.0, **settings}),  # type: ignore[arg-type]
        protection=PROTECT,
        auto_apply=False,
        cycle_name="quarterly",
        clock=clock,
    )
    session.commit()
    return summary


def outbox(session: Session) -> list[Revocation]:
    session.expire_all()
    return list(session.exec(select(Revocation).order_by(Revocation.id)).all())


def test_the_whole_loop_revokes_verifies_and_a_later_sync_agrees(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(3, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock)
    summary = plan(session, campaign, connector, clock)
    # u00..u02 and olu's own read access (the fallback reviewed it); olu's admin is the last admin and
    # break-glass-1 is protected: both left to a person.
    assert (summary.planned, summary.needs_human_review) == (4, 2)
    approve(session, None, campaign_id=campaign.id, actor=cli_operator(), clock=clock)
    session.commit()
    result = execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w1")
    assert result.outcomes["verified"] == 4
    assert provider.members(READERS) == {arn("break-glass-1")}
    assert provider.members(ADMINS) == {arn("olu")}
    assert len(provider.writes()) == 4
    clock.advance(timedelta(hours=1))
    sync(session, connector, clock)
    assert {row.state for row in outbox(session)} == {RevocationState.VERIFIED}


def test_a_protected_account_in_scope_is_never_planned(session: Session) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(1, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock)
    plan(session, campaign, connector, clock)
    protected = session.exec(select(ReviewItem)).all()
    glass = [i for i in protected if i.frozen_grant["principal"]["name"] == "break-glass-1"]
    assert glass[0].status == ItemStatus.NEEDS_HUMAN_REVIEW and "protected" in glass[0].human_review_reason
    assert all(row.principal_id != glass[0].principal_id for row in outbox(session))
    assert campaign.notes["protected_in_scope"] == 1


def test_the_last_admin_is_never_removed(session: Session) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(0, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock, scope={"access": ["admin"]})
    plan(session, campaign, connector, clock)
    (item,) = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
    assert item.status == ItemStatus.NEEDS_HUMAN_REVIEW and "last admin" in item.human_review_reason
    assert outbox(session) == []


def test_over_the_blast_radius_nothing_runs_until_an_admin_approves_then_each_runs_once(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(12, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock)
    summary = plan(session, campaign, connector, clock, blast_radius_count=10)
    assert summary.held == 12 + 1  # twelve readers and olu's own read access (reviewed by the fallback)
    rows = outbox(session)
    assert {row.state for row in rows} == {RevocationState.HELD}
    assert "blast-radius" in rows[0].hold_reason
    assert execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w1").processed == 0
    assert provider.writes() == []
    with pytest.raises(Exception, match="admin"):
        approve(session, None, campaign_id=campaign.id, actor=Actor("slack:olu", 1), clock=clock)
    session.rollback()
    approve(session, None, campaign_id=campaign.id, actor=cli_operator(), clock=clock)
    session.commit()
    execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w1")
    execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w2")  # nothing left to do
    writes = [(w.group, w.principal) for w in provider.writes()]
    assert len(writes) == len(set(writes)) == 13


def test_dry_run_plan_equals_what_live_executes_and_writes_nothing(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(4, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock)
    plan(session, campaign, connector, clock)
    approve(session, None, campaign_id=campaign.id, actor=cli_operator(), clock=clock)
    session.commit()
    provider.remove_member(READERS, arn("u03"))  # someone removed it by hand meanwhile
    execute(engine, {"aws": connector}, settings=DRY, clock=clock, worker="w1")
    assert provider.writes() == []
    predicted = {row.action["description"] for row in outbox(session) if row.dry_run_result == "would_apply"}
    absent = {row.action["description"] for row in outbox(session) if row.dry_run_result == "already_absent"}
    assert len(absent) == 1 and len(predicted) == 4  # u00..u02 and olu's read; u03 is gone already
    execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w1")
    applied = {f"remove {w.principal} from payroll-read" for w in provider.writes()}
    assert applied == predicted


def test_undo_restores_the_access(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(1, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock)
    plan(session, campaign, connector, clock)
    approve(session, None, campaign_id=campaign.id, actor=cli_operator(), clock=clock)
    session.commit()
    execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w1")
    target = next(row for row in outbox(session) if "u00" in row.action["description"])
    assert not provider.is_member(READERS, arn("u00"))
    undo(engine, target.id, {"aws": connector}, actor=cli_operator(), clock=clock, settings=LIVE)
    assert provider.is_member(READERS, arn("u00"))
    assert next(r for r in outbox(session) if r.id == target.id).state == RevocationState.UNDONE


def test_a_sharply_smaller_population_is_not_applied_and_stops_campaigns_and_revocations(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(12, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock)
    plan(session, campaign, connector, clock)
    approve(session, None, campaign_id=campaign.id, actor=cli_operator(), clock=clock)
    session.commit()
    for i in range(12):
        provider.remove_member(READERS, arn(f"u{i:02d}"))  # a broken read would look like this
    with pytest.raises(PopulationDropped, match="down from"):
        sync(session, connector, clock)
    session.rollback()
    record_failed_sync("aws", "population dropped", session=session, clock=clock, started_at=clock.now())
    session.commit()
    result = execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w1")
    assert result.processed == 0 and result.skipped > 0
    assert provider.writes() == []


def test_an_empty_answer_is_never_applied(session: Session) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(2, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    for name in ("olu", "break-glass-1", "u00", "u01"):
        provider.remove_member(READERS, arn(name))
    provider.remove_member(ADMINS, arn("olu"))
    with pytest.raises(PopulationDropped, match="no grants at all"):
        sync(session, connector, clock)


def test_a_revoked_grant_that_reappears_is_flagged_and_reviewed_again(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(1, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    campaign = closed_campaign(session, provider, clock, review_new_grants=True)
    plan(session, campaign, connector, clock)
    approve(session, None, campaign_id=campaign.id, actor=cli_operator(), clock=clock)
    session.commit()
    execute(engine, {"aws": connector}, settings=LIVE, clock=clock, worker="w1")
    sync(session, connector, clock)
    provider.add_member(READERS, arn("u00"))  # someone grants it again
    clock.advance(timedelta(hours=1))
    run = sync(session, connector, clock)
    flagged = session.exec(select(AuditEvent).where(AuditEvent.kind == "grant.reappeared")).all()
    assert len(flagged) == 1
    opened = open_triggered_reviews(session, run, clock=clock, protection=PROTECT)
    session.commit()
    assert [c.kind for c in opened] == [CampaignKind.EVENT]
    (item,) = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == opened[0].id)).all()
    assert item.frozen_grant["principal"]["name"] == "u00"
    assert session.get(Person, item.reviewer_person_id).email == email("olu")


def test_a_reviewer_decision_to_revoke_is_planned_without_counting_toward_the_blast_radius(
    engine: Engine, session: Session
) -> None:
    clock = FrozenClock(T0)
    provider = provider_with(12, clock)
    connector = FakeConnector(provider, clock=clock)
    sync(session, connector, clock)
    definition = cycle(on_no_response="keep")
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=PROTECT
    ).campaign
    session.commit()
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    for item in session.exec(select(ReviewItem).where(ReviewItem.reviewer_person_id == olu.id)).all():
        record_decision(
            engine,
            item_id=item.id,
            outcome=DecisionOutcome.REVOKE,
            actor=Actor("slack:olu", olu.id),
            via=DecidedVia.SLACK,
            clock=clock,
        )
    clock.advance(timedelta(days=15))
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    sync(session, connector, clock)
    summary = plan(session, campaign, connector, clock, blast_radius_count=10, blast_radius_share=0.25)
    # Twelve readers revoked by their reviewer (a person decided: no hold); break-glass-1 protected; olu's
    # own accesses were the fallback's, unanswered, and kept by the policy.
    assert (summary.held, summary.planned, summary.needs_human_review) == (0, 12, 1)
    fallback = session.exec(select(Person).where(Person.email == FALLBACK)).one()
    kept = session.exec(select(ReviewItem).where(ReviewItem.reviewer_person_id == fallback.id)).all()
    assert {item.status for item in kept} == {ItemStatus.KEPT}

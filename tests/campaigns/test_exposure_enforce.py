"""Exposure changes are never automatic: a change the connector says needs approval is planned held, whatever
the cycle's auto-apply and blast-radius settings, and after an admin's approval the outbox applies, verifies
and undoes it like every other revocation (against the fake provider, whose policy statements need an
admin's approval as the AWS connector's do)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import cli_operator
from reviews.enforcement.outbox import undo
from reviews.enforcement.plan import PlanSummary, plan_revocations
from reviews.enforcement.revoked_notice import tell_revoked
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import AccessLevel, PrincipalType
from reviews.storage.models import (
    AccessGrant,
    AuditEvent,
    Campaign,
    DecisionOutcome,
    ItemStatus,
    ReviewItem,
    RevocationState,
)
from tests.campaigns.test_enforce import LIVE, PAYROLL, PROTECT, Loop
from tests.campaigns.world import RecordingNotifier
from tests.helpers import run_cli

PUBLIC_READ, PUBLIC_ADMIN = "s-public-read", "s-public-admin"
APPROVAL = "changes payroll's bucket policy, which others share: an admin approves"


def with_public_read(
    session: Session, engine: Engine, readers: int, *, access: AccessLevel = AccessLevel.READ
) -> Loop:
    """The department of test_enforce, and payroll's bucket policy letting anyone read it (or administer)."""
    loop = Loop.with_readers(session, engine, readers)
    statement = PUBLIC_READ if access is AccessLevel.READ else PUBLIC_ADMIN
    loop.provider.add_statement(
        statement,
        store_provider_id=PAYROLL,
        name="bucket policy statement PublicRead",
        access=access,
        approval=APPROVAL,
    )
    loop.provider.add_principal("*", name="anyone on the internet", type=PrincipalType.PUBLIC, last_used=None)
    loop.provider.add_member(statement, "*")
    loop.clock.advance(timedelta(minutes=1))
    loop.sync()
    return loop


def plan(loop: Loop, campaign: Campaign, *, auto_apply: bool, **limits: object) -> PlanSummary:
    summary = plan_revocations(
        loop.session,
        campaign,
        {"aws": loop.connector},
        settings=EnforcementSettings.model_validate(
            {"blast_radius_count": 1000, "blast_radius_share": 1.0, **limits}
        ),
        protection=PROTECT,
        auto_apply=auto_apply,
        cycle_name="quarterly",
        clock=loop.clock,
    )
    loop.session.commit()
    return summary


def exposure_row(loop: Loop):  # noqa: ANN201
    """The outbox row taking anyone on the internet ("*") out of the statement."""
    return next(row for row in loop.outbox() if dict(row.action.get("params", [])).get("principal") == "*")


def test_an_exposure_is_held_for_an_admin_then_applied_verified_and_undone(
    engine: Engine, session: Session, database_url: str, capsys, monkeypatch
) -> None:
    loop = with_public_read(session, engine, 1)
    campaign = loop.closed_by_silence(auto_apply=True)
    (public,) = [i for i in loop.items(campaign) if i.frozen_grant["principal"]["type"] == "public"]
    assert public.recommendation == "revoke" and public.status == ItemStatus.REVOKED  # by the policy
    summary = plan(loop, campaign, auto_apply=True)
    # The cycle auto-applies, and well within its blast radius: the readers' revocations are approved at
    # once, the exposure's change waits for an admin.
    assert (summary.approved, summary.held) == (2, 1)
    row = exposure_row(loop)
    assert row.state == RevocationState.HELD and row.hold_reason == APPROVAL
    assert row.approved_by is None
    held = select(AuditEvent).where(AuditEvent.kind == "revocation.held")
    (event,) = session.exec(held.where(AuditEvent.subject == f"item:{public.id}")).all()
    assert event.payload["hold_reason"] == APPROVAL and event.payload["needs_approval"] is True

    loop.execute()
    assert loop.provider.members(PUBLIC_READ) == {"*"}  # the held change did not run
    assert exposure_row(loop).state == RevocationState.HELD

    env = {"RECERTIFY_DATABASE_URL": database_url, "COLUMNS": "300"}
    listed = run_cli(capsys, monkeypatch, "revocations", "list", env=env)
    assert listed.code == 0 and APPROVAL in listed.stdout and "held" in listed.stdout
    approved_now = run_cli(capsys, monkeypatch, "revocations", "approve", str(row.id), env=env)
    assert approved_now.code == 0, approved_now.stderr
    assert f"approved 1 revocation(s): {row.id}" in approved_now.stdout
    approved = exposure_row(loop)
    assert approved.state == RevocationState.APPROVED and approved.approved_by == cli_operator().id
    assert loop.execute().outcomes["applied"] == 1
    assert loop.provider.members(PUBLIC_READ) == set()
    last = loop.provider.writes()[-1]
    assert (last.kind, last.group, last.principal) == ("remove_member", PUBLIC_READ, "*")
    assert exposure_row(loop).state == RevocationState.APPLIED

    loop.clock.advance(timedelta(hours=1))
    loop.sync()  # the next reading of the source agrees: nobody on the internet reads payroll any more
    assert exposure_row(loop).state == RevocationState.VERIFIED
    grant = session.get(AccessGrant, exposure_row(loop).grant_id)
    assert grant is not None and grant.valid_to is not None

    target = exposure_row(loop)
    assert target.id is not None
    undo(engine, target.id, {"aws": loop.connector}, actor=cli_operator(), clock=loop.clock, settings=LIVE)
    assert loop.provider.members(PUBLIC_READ) == {"*"}
    assert exposure_row(loop).state == RevocationState.UNDONE


def test_nobody_is_told_that_anyone_on_the_internet_lost_access(engine: Engine, session: Session) -> None:
    loop = with_public_read(session, engine, 0)
    campaign = loop.closed_by_silence()
    plan(loop, campaign, auto_apply=False)
    loop.approve(campaign)
    loop.execute()
    loop.sync()
    assert exposure_row(loop).state == RevocationState.VERIFIED
    notifier = RecordingNotifier()
    summary = tell_revoked(session, notifier, clock=loop.clock)
    assert all(notice.principal != "anyone on the internet" for notice in notifier.notices)
    assert summary.nobody_to_tell == 1  # the exposure; olu, whose read access went too, was told
    assert [n.person_email for n in notifier.notices] == ["olu@dept.example.gov"]


def test_a_held_exposure_does_not_count_toward_the_blast_radius(engine: Engine, session: Session) -> None:
    """olu's unused read access is one automatic revocation: within a limit of one, so the auto-applying
    cycle approves it. The exposure beside it, held for approval anyway, does not push the store over."""
    loop = with_public_read(session, engine, 0)
    campaign = loop.closed_by_silence(scope={"access": ["read"]}, auto_apply=True)
    statuses = {i.frozen_grant["principal"]["name"]: i.status for i in loop.items(campaign)}
    assert statuses == {
        "olu": ItemStatus.REVOKED,
        "anyone on the internet": ItemStatus.REVOKED,
        "break-glass-1": ItemStatus.EXPIRED,  # protected: never recommended, silence leaves it
    }
    summary = plan(loop, campaign, auto_apply=True, blast_radius_count=1)
    assert (summary.approved, summary.held) == (1, 1)
    exposure = exposure_row(loop)
    (olu,) = [row for row in loop.outbox() if row.id != exposure.id]
    assert olu.state == RevocationState.APPROVED and olu.hold_reason is None
    assert exposure.state == RevocationState.HELD and exposure.hold_reason == APPROVAL


def test_the_blast_radius_holds_other_revocations_and_the_exposure_keeps_its_own_reason(
    engine: Engine, session: Session
) -> None:
    loop = with_public_read(session, engine, 3)
    campaign = loop.closed_by_silence()
    plan(loop, campaign, auto_apply=True, blast_radius_count=2)
    rows = loop.outbox()
    held = {row.action["description"]: row.hold_reason for row in rows if row.state == RevocationState.HELD}
    exposure = exposure_row(loop)
    assert held.pop(exposure.action["description"]) == APPROVAL
    # u00..u02 and olu's read: four automatic revocations, counted without the exposure.
    assert len(held) == 4 and all("4 automatic revocations" in reason for reason in held.values())


def test_public_admin_access_is_not_the_store_s_last_admin(engine: Engine, session: Session) -> None:
    """olu is payroll's only admin among the organisation's identities: anyone on the internet administering
    it too does not make olu removable, and the public grant itself is no "last admin" to keep."""
    loop = with_public_read(session, engine, 0, access=AccessLevel.ADMIN)
    campaign = loop.closed_by_silence(scope={"access": ["admin"]})
    plan(loop, campaign, auto_apply=False)
    by_holder = {i.frozen_grant["principal"]["name"]: i for i in loop.items(campaign)}
    olu = by_holder["olu"]
    assert olu.status == ItemStatus.NEEDS_HUMAN_REVIEW and "last admin" in (olu.human_review_reason or "")
    assert exposure_row(loop).state == RevocationState.HELD
    assert exposure_row(loop).review_item_id == by_holder["anyone on the internet"].id


def test_the_owner_decides_an_exposure_it_is_nobody_s_own_access(engine: Engine, session: Session) -> None:
    loop = with_public_read(session, engine, 0)
    campaign = loop.start()
    public = next(i for i in loop.items(campaign) if i.frozen_grant["principal"]["type"] == "public")
    assert public.holder_person_id is None and public.reviewer_source == "owner"
    loop.owner_decides(campaign, "anyone on the internet", DecisionOutcome.REVOKE, "not meant to be")
    session.expire_all()
    decided = session.get(ReviewItem, public.id)
    assert decided is not None and decided.status == ItemStatus.REVOKED

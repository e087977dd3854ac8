"""From a closed campaign to the provider: planning inside the safety envelope, approval, execution,
undo, and what a later sync says (TESTING.md "Revocation safety"), against the fake provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import record_decision
from reviews.campaigns.start import start_campaign
from reviews.campaigns.survival import open_survival_reviews
from reviews.campaigns.triggered import open_triggered_reviews
from reviews.clock import FrozenClock
from reviews.enforcement.outbox import ExecutionSummary, approve, execute, undo
from reviews.enforcement.plan import PlanSummary, plan_revocations
from reviews.enforcement.settings import EnforcementSettings
from reviews.enforcement.survived_notice import tell_survived
from reviews.entitlements import AccessLevel
from reviews.errors import NotAuthorized, PopulationDropped
from reviews.inventory.apply import apply_snapshot, record_failed_sync
from reviews.protection import Protection
from reviews.queries.history import HistoryFilter, history
from reviews.storage.models import (
    AuditEvent,
    Campaign,
    CampaignKind,
    DecidedVia,
    DecisionOutcome,
    ItemStatus,
    Notification,
    Person,
    Principal,
    ReviewItem,
    Revocation,
    RevocationState,
)
from tests.campaigns.world import FALLBACK, RecordingNotifier, cycle, email, store_cycle
from tests.fakes.provider import FakeConnector, FakeProvider
from tests.helpers import T0

PAYROLL = "arn:aws:s3:::payroll"
READERS, ADMINS = "g-payroll-read", "g-payroll-admin"
PROTECT = Protection.of([], ["break-glass*"])
LIVE = EnforcementSettings(mode="live")
DRY = EnforcementSettings(mode="dry-run")


def arn(name: str) -> str:
    return f"arn:aws:iam::111122223333:user/{name}"


def principal_id(session: Session, name: str) -> int | None:
    return session.exec(select(Principal.id).where(Principal.provider_id == arn(name))).one()


@dataclass
class Loop:
    """payroll, owned by olu (its only admin), read by olu, break-glass-1 and N users unused for 200 days."""

    session: Session
    engine: Engine
    clock: FrozenClock
    provider: FakeProvider
    connector: FakeConnector

    @classmethod
    def with_readers(cls, session: Session, engine: Engine, readers: int) -> Loop:
        clock = FrozenClock(T0)
        provider = FakeProvider(":memory:")
        provider.add_store(PAYROLL, name="payroll", owners=(email("olu"),))
        provider.add_group(READERS, store_provider_id=PAYROLL, name="payroll-read")
        provider.add_group(ADMINS, store_provider_id=PAYROLL, name="payroll-admin", access=AccessLevel.ADMIN)
        for name in ("olu", "break-glass-1", *(f"u{i:02d}" for i in range(readers))):
            provider.add_principal(arn(name), email=email(name), last_used=T0 - timedelta(days=200))
            provider.add_member(READERS, arn(name))
        provider.add_member(ADMINS, arn("olu"))
        loop = cls(session, engine, clock, provider, FakeConnector(provider, clock=clock))
        loop.sync()
        return loop

    def sync(self) -> int:
        summary = apply_snapshot(
            self.connector.snapshot(), session=self.session, clock=self.clock, max_drop=0.3
        )
        self.session.commit()
        return summary.sync_run_id

    def start(self, **overrides: object) -> Campaign:
        definition = cycle(**overrides)
        row = store_cycle(self.session, definition, self.clock.now())
        campaign = start_campaign(
            self.session, row, definition, actor=cli_operator(), clock=self.clock, protection=PROTECT
        ).campaign
        self.session.commit()
        return campaign

    def close(self, campaign: Campaign) -> None:
        self.clock.advance(timedelta(days=15))
        close_campaign(self.session, campaign, actor=cli_operator(), clock=self.clock)
        self.session.commit()
        self.sync()  # planning needs a fresh, complete sync

    def closed_by_silence(self, **overrides: object) -> Campaign:
        """Everything left to the policy "recommendation": every reader is inactive → revoke. Escalation
        delivered and reminded, so silence may revoke (DESIGN §3.7)."""
        campaign = self.start(on_no_response="recommendation", **overrides)
        for item in self.items(campaign):
            item.delivered_at = item.reminded_at = item.escalated_at = self.clock.now()
            self.session.add(item)
        self.session.commit()
        self.close(campaign)
        return campaign

    def plan(self, campaign: Campaign, *, auto_apply: bool = False, **settings: object) -> PlanSummary:
        # Limits out of the way unless a test sets them: most tests are about something else.
        limits: dict[str, object] = {"blast_radius_count": 1000, "blast_radius_share": 1.0, **settings}
        summary = plan_revocations(
            self.session,
            campaign,
            {"aws": self.connector},
            settings=EnforcementSettings.model_validate(limits),
            protection=PROTECT,
            auto_apply=auto_apply,
            cycle_name="quarterly",
            clock=self.clock,
        )
        self.session.commit()
        return summary

    def approve(self, campaign: Campaign, actor: Actor | None = None) -> None:
        approve(self.session, None, campaign_id=campaign.id, actor=actor or cli_operator(), clock=self.clock)
        self.session.commit()

    def execute(
        self, settings: EnforcementSettings = LIVE, worker: str = "w1", protection: Protection | None = None
    ) -> ExecutionSummary:
        return execute(
            self.engine,
            {"aws": self.connector},
            settings=settings,
            clock=self.clock,
            worker=worker,
            protection=protection,
        )

    def planned_and_approved(self, **overrides: object) -> Campaign:
        campaign = self.closed_by_silence(**overrides)
        self.plan(campaign)
        self.approve(campaign)
        return campaign

    def owner_decides(
        self,
        campaign: Campaign,
        holder: str,
        outcome: DecisionOutcome,
        justification: str,
        via: DecidedVia = DecidedVia.SLACK,
    ) -> None:
        """olu, payroll's owner and so the reviewer, decides `holder`'s item."""
        item = next(i for i in self.items(campaign) if i.frozen_grant["principal"]["name"] == holder)
        olu = self.session.exec(select(Person).where(Person.email == email("olu"))).one()
        assert item.id is not None and olu.id is not None
        actor = Actor(f"{via.value}:olu", person_id=olu.id)
        record_decision(
            self.engine,
            item_id=item.id,
            outcome=outcome,
            actor=actor,
            via=via,
            clock=self.clock,
            justification=justification,
        )

    def fallback_keeps(self, campaign: Campaign, holder: str) -> None:
        """The fallback reviewer (who reviews the owner's own access) keeps `holder`'s item."""
        item = next(i for i in self.items(campaign) if i.frozen_grant["principal"]["name"] == holder)
        fallback = self.session.exec(select(Person).where(Person.email == FALLBACK)).one()
        assert item.id is not None and fallback.id is not None
        actor = Actor("cli:fallback", person_id=fallback.id)
        record_decision(
            self.engine,
            item_id=item.id,
            outcome=DecisionOutcome.KEEP,
            actor=actor,
            via=DecidedVia.CLI,
            clock=self.clock,
            justification="the owner",
        )

    def items(self, campaign: Campaign) -> list[ReviewItem]:
        return list(self.session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all())

    def outbox_row(self, revocation_id: int | None) -> Revocation:
        self.session.expire_all()
        row = self.session.get(Revocation, revocation_id)
        assert row is not None
        return row

    def outbox(self) -> list[Revocation]:
        self.session.expire_all()
        return list(self.session.exec(select(Revocation).order_by(Revocation.id)).all())


def test_the_whole_loop_revokes_verifies_and_a_later_sync_agrees(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 3)
    campaign = loop.closed_by_silence()
    summary = loop.plan(campaign)
    # u00..u02 and olu's own read access (the fallback reviewed it); olu's admin is the last admin: left to
    # a person. break-glass-1 is protected: never recommended for revocation, so silence left it unchanged.
    assert (summary.planned, summary.needs_human_review) == (4, 1)
    loop.approve(campaign)
    assert loop.execute().outcomes["applied"] == 4
    assert loop.provider.members(READERS) == {arn("break-glass-1")}
    assert loop.provider.members(ADMINS) == {arn("olu")}
    assert len(loop.provider.writes()) == 4
    # Read back is not verified: only the next reading of the source says the access is gone.
    assert {row.state for row in loop.outbox()} == {RevocationState.APPLIED}
    assert all(row.read_back_at is not None and row.verified_at is None for row in loop.outbox())
    loop.clock.advance(timedelta(hours=1))
    loop.sync()
    assert {row.state for row in loop.outbox()} == {RevocationState.VERIFIED}
    assert all(row.verified_at == loop.clock.now() for row in loop.outbox())


def test_a_protected_account_in_scope_is_never_planned(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 1)
    campaign = loop.closed_by_silence()
    loop.plan(campaign)
    (glass,) = [i for i in loop.items(campaign) if i.frozen_grant["principal"]["name"] == "break-glass-1"]
    # The reviewer was told, and nothing recommended revoking it: silence leaves it as it is.
    assert glass.recommendation is None and glass.recommendation_evidence["protected"] is True
    assert "a protected account" in glass.recommendation_evidence["reason"]
    assert glass.status == ItemStatus.EXPIRED
    assert all(row.principal_id != glass.principal_id for row in loop.outbox())
    assert campaign.notes["protected_in_scope"] == 1


def test_the_last_admin_is_never_removed(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 0)
    campaign = loop.closed_by_silence(scope={"access": ["admin"]})
    loop.plan(campaign)
    (item,) = loop.items(campaign)
    assert item.status == ItemStatus.NEEDS_HUMAN_REVIEW and "last admin" in (item.human_review_reason or "")
    assert loop.outbox() == []


def test_over_the_blast_radius_nothing_runs_until_an_admin_approves_then_each_runs_once(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 12)
    campaign = loop.closed_by_silence()
    summary = loop.plan(campaign, blast_radius_count=10)
    assert summary.held == 12 + 1  # twelve readers and olu's own read access (reviewed by the fallback)
    rows = loop.outbox()
    assert {row.state for row in rows} == {RevocationState.HELD}
    assert "blast-radius" in (rows[0].hold_reason or "")
    assert loop.execute().processed == 0
    assert loop.provider.writes() == []
    with pytest.raises(NotAuthorized, match="admin"):
        loop.approve(campaign, Actor("slack:olu", 1))
    session.rollback()
    loop.approve(campaign)
    loop.execute()
    loop.execute(worker="w2")  # nothing left to do
    writes = [(w.group, w.principal) for w in loop.provider.writes()]
    assert len(writes) == len(set(writes)) == 13


def test_dry_run_plan_equals_what_live_executes_and_writes_nothing(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 4)
    loop.planned_and_approved()
    loop.provider.remove_member(READERS, arn("u03"))  # someone removed it by hand meanwhile
    loop.execute(DRY)
    assert loop.provider.writes() == []
    predicted = {row.action["description"] for row in loop.outbox() if row.dry_run_result == "would_apply"}
    absent = {row.action["description"] for row in loop.outbox() if row.dry_run_result == "already_absent"}
    assert len(absent) == 1 and len(predicted) == 4  # u00..u02 and olu's read; u03 is gone already
    loop.execute()
    assert {f"remove {w.principal} from payroll-read" for w in loop.provider.writes()} == predicted


def test_undo_restores_the_access(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 1)
    loop.planned_and_approved()
    loop.execute()
    target = next(row for row in loop.outbox() if "u00" in row.action["description"])
    assert target.id is not None and not loop.provider.is_member(READERS, arn("u00"))
    undo(engine, target.id, {"aws": loop.connector}, actor=cli_operator(), clock=loop.clock, settings=LIVE)
    assert loop.provider.is_member(READERS, arn("u00"))
    assert next(r for r in loop.outbox() if r.id == target.id).state == RevocationState.UNDONE


def test_a_sharply_smaller_population_is_not_applied_and_stops_campaigns_and_revocations(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 12)
    loop.planned_and_approved()
    for i in range(12):
        loop.provider.remove_member(READERS, arn(f"u{i:02d}"))  # a broken read would look like this
    with pytest.raises(PopulationDropped, match="down from"):
        loop.sync()
    session.rollback()
    record_failed_sync(
        "aws", "population dropped", session=session, clock=loop.clock, started_at=loop.clock.now()
    )
    session.commit()
    result = loop.execute()
    assert result.processed == 0 and result.skipped > 0
    assert loop.provider.writes() == []


def test_a_small_share_lost_from_a_large_store_is_not_applied(engine: Engine, session: Session) -> None:
    """Issue 15, finding 4: an app went from 121 to 101 grants (a page lost) with exit 0, the account-wide
    share being small. Per store, the share a sync may remove shrinks with the store's size."""
    loop = Loop.with_readers(session, engine, 119)  # payroll: 121 readers (olu, break-glass-1, u000..)
    loop.provider.add_store("arn:aws:s3:::other", name="other", owners=(email("olu"),))
    loop.provider.add_group("g-other", store_provider_id="arn:aws:s3:::other", name="other-read")
    for i in range(400):  # a large account: payroll's loss is under 30 % of all its grants
        loop.provider.add_principal(arn(f"o{i:03d}"), email=email(f"o{i:03d}"), last_used=T0)
        loop.provider.add_member("g-other", arn(f"o{i:03d}"))
    loop.sync()
    for i in range(20):
        loop.provider.remove_member(READERS, arn(f"u{i:02d}"))
    with pytest.raises(PopulationDropped, match=r"store arn:aws:s3:::payroll: 102 grants, down from 122"):
        loop.sync()
    session.rollback()
    for i in range(20, 28):  # eight more readers' loss, a real one, accepted after an admin looked
        loop.provider.remove_member(READERS, arn(f"u{i:02d}"))
    summary = apply_snapshot(loop.connector.snapshot(), session=session, clock=loop.clock, max_drop=None)
    assert summary.closed == 28
    session.commit()
    for i in range(28, 36):  # then a loss within what a store of 94 may lose in one sync (half of 30 %)
        loop.provider.remove_member(READERS, arn(f"u{i:02d}"))
    loop.sync()


def test_an_empty_answer_is_never_applied(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 2)
    for name in ("olu", "break-glass-1", "u00", "u01"):
        loop.provider.remove_member(READERS, arn(name))
    loop.provider.remove_member(ADMINS, arn("olu"))
    with pytest.raises(PopulationDropped, match="no grants at all"):
        loop.sync()


def test_a_revoked_grant_that_reappears_is_flagged_and_reviewed_again(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 1)
    loop.planned_and_approved(review_new_grants=True)
    loop.execute()
    loop.sync()
    loop.provider.add_member(READERS, arn("u00"))  # someone grants it again
    loop.clock.advance(timedelta(hours=1))
    run = loop.sync()
    assert len(session.exec(select(AuditEvent).where(AuditEvent.kind == "grant.reappeared")).all()) == 1
    opened = open_triggered_reviews(session, run, clock=loop.clock, protection=PROTECT)
    session.commit()
    assert [c.kind for c in opened] == [CampaignKind.EVENT]
    (item,) = loop.items(opened[0])
    assert item.frozen_grant["principal"]["name"] == "u00"
    reviewer = session.get(Person, item.reviewer_person_id)
    assert reviewer is not None and reviewer.email == email("olu")


def test_a_reviewer_decision_to_revoke_is_planned_without_counting_toward_the_blast_radius(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 12)
    campaign = loop.start(on_no_response="keep")
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    for item in session.exec(select(ReviewItem).where(ReviewItem.reviewer_person_id == olu.id)).all():
        assert item.id is not None
        record_decision(
            engine,
            item_id=item.id,
            outcome=DecisionOutcome.REVOKE,
            actor=Actor("slack:olu", olu.id),
            via=DecidedVia.SLACK,
            clock=loop.clock,
        )
    loop.close(campaign)
    summary = loop.plan(campaign, blast_radius_count=10, blast_radius_share=0.25)
    # Twelve readers revoked by their reviewer (a person decided: no hold); break-glass-1 protected; olu's
    # own accesses were the fallback's, unanswered, and kept by the policy.
    assert (summary.held, summary.planned, summary.needs_human_review) == (0, 12, 1)
    fallback = session.exec(select(Person).where(Person.email == FALLBACK)).one()
    kept = session.exec(select(ReviewItem).where(ReviewItem.reviewer_person_id == fallback.id)).all()
    assert {item.status for item in kept} == {ItemStatus.KEPT}


def test_access_that_survives_its_revocation_through_another_path_is_survived_and_reviewed_again(
    engine: Engine, session: Session
) -> None:
    """Issue 15: "if the principal still reaches the store by any path, the revocation is survived, with the
    surviving path … and a new review item opens for the surviving path"."""
    loop = Loop.with_readers(session, engine, 1)
    loop.provider.add_group("g-payroll-read-2", store_provider_id=PAYROLL, name="payroll-read-too")
    loop.provider.add_member("g-payroll-read-2", arn("u00"))  # a second path to the same read access
    campaign = loop.planned_and_approved()
    assert loop.execute().outcomes["applied"] == 2  # u00 and olu's own read
    assert not loop.provider.is_member(READERS, arn("u00"))  # the change took…
    loop.clock.advance(timedelta(hours=1))
    found_by = loop.sync()
    by_principal = {row.principal_id: row for row in loop.outbox()}
    u00 = by_principal[principal_id(session, "u00")]
    assert u00.state == RevocationState.SURVIVED and u00.verified_at is None  # …but u00 still reads payroll
    assert [step["name"] for step in u00.surviving_path or []] == ["payroll-read-too"]
    assert by_principal[principal_id(session, "olu")].state == RevocationState.VERIFIED
    survived = session.exec(select(AuditEvent).where(AuditEvent.kind == "revocation.survived")).all()
    assert [e.subject for e in survived] == [f"revocation:{u00.id}"]
    assert survived[0].payload["path"][0]["name"] == "payroll-read-too"

    loop.sync()  # decided once: a later sync neither flips it nor flags it again
    assert loop.outbox_row(u00.id).state == RevocationState.SURVIVED
    assert len(session.exec(select(AuditEvent).where(AuditEvent.kind == "revocation.survived")).all()) == 1

    (again,) = open_survival_reviews(session, found_by, clock=loop.clock, protection=PROTECT)
    session.commit()
    assert (again.kind, again.period_key) == (CampaignKind.EVENT, f"survived:{u00.id}")
    (item,) = loop.items(again)
    assert (
        item.principal_id == u00.principal_id and item.frozen_grant["path"][0]["name"] == "payroll-read-too"
    )
    assert open_survival_reviews(session, found_by, clock=loop.clock, protection=PROTECT) == []  # once
    assert campaign.id != again.id


def test_a_target_moved_out_of_band_before_apply_is_already_absent_then_survived(
    engine: Engine, session: Session
) -> None:
    """Issue 15, finding 1: eve moved from the group under revocation to a second group with the same
    access, after approval and before apply. The apply finds nothing to remove; the sync still finds eve
    reading payroll: survived, never "the access is gone"."""
    loop = Loop.with_readers(session, engine, 1)
    loop.provider.add_group("g-payroll-read-2", store_provider_id=PAYROLL, name="payroll-read-2")
    loop.planned_and_approved()
    loop.provider.remove_member(READERS, arn("u00"))
    loop.provider.add_member("g-payroll-read-2", arn("u00"))
    outcomes = loop.execute().outcomes
    assert outcomes["already_absent"] == 1
    u00 = next(r for r in loop.outbox() if r.principal_id == principal_id(session, "u00"))
    assert (u00.state, u00.applied_at) == (RevocationState.ALREADY_ABSENT, None)  # nothing was removed
    loop.clock.advance(timedelta(hours=1))
    loop.sync()
    u00 = loop.outbox_row(u00.id)
    assert u00.state == RevocationState.SURVIVED
    assert [step["name"] for step in u00.surviving_path or []] == ["payroll-read-2"]
    (entry,) = [
        e
        for e in history(session, cli_operator(), HistoryFilter(principal="u00"))
        if e.event == "revocation_survived"
    ]
    assert "payroll-read-2" in entry.detail


def test_a_survived_revocation_tells_the_admin_channel_and_the_owner_once(
    engine: Engine, session: Session
) -> None:
    """Issue 15: survived "shown in … Slack (to the admin channel and the store's owner)"."""
    loop = Loop.with_readers(session, engine, 1)
    loop.provider.add_group("g-payroll-read-2", store_provider_id=PAYROLL, name="payroll-read-too")
    loop.provider.add_member("g-payroll-read-2", arn("u00"))
    loop.planned_and_approved()
    loop.execute()
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    olu.slack_user_id = "U0OLU"
    session.add(olu)
    session.commit()
    notifier = RecordingNotifier()
    assert tell_survived(session, notifier, clock=loop.clock, admin_channel="C0ADMIN", admins=[]).told == 0
    loop.clock.advance(timedelta(hours=1))
    loop.sync()
    summary = tell_survived(session, notifier, clock=loop.clock, admin_channel="C0ADMIN", admins=[])
    session.commit()
    assert summary.told == 2
    assert sorted(to for _, to in notifier.survivals) == ["C0ADMIN", "U0OLU"]
    notice = notifier.survivals[0][0]
    assert (notice.principal, notice.store, notice.access) == ("u00", "payroll", "read")
    assert notice.surviving_path == ("group:payroll-read-too",)
    assert tell_survived(session, notifier, clock=loop.clock, admin_channel="C0ADMIN", admins=[]).told == 0
    told = session.exec(select(Notification).where(Notification.kind == "survived")).all()
    assert len(told) == 2 and all(n.delivered for n in told)


def test_a_principal_protected_after_approval_is_refused_at_apply_and_left_to_a_person(
    engine: Engine, session: Session
) -> None:
    """Issue 15, item 2: "Protection and the safety envelope are re-checked at apply time against the
    configuration then in force … a revocation whose principal has become protected is refused with the
    reason, recorded"."""
    loop = Loop.with_readers(session, engine, 2)
    loop.planned_and_approved()
    now_protected = Protection.of([arn("u00")], ["break-glass*"])  # an admin added u00 after approval
    dry = loop.execute(DRY, protection=now_protected).outcomes  # the dry run says what live would do
    assert dry == {"would_refuse": 1, "would_apply": 2} and loop.provider.writes() == []
    outcomes = loop.execute(protection=now_protected).outcomes
    assert outcomes["refused"] == 1 and outcomes["applied"] == 2  # u01 and olu's read still run
    assert loop.provider.is_member(READERS, arn("u00"))  # nothing written for u00
    assert all(w.principal != arn("u00") for w in loop.provider.writes())
    row = next(r for r in loop.outbox() if r.principal_id == principal_id(session, "u00"))
    assert row.state == RevocationState.FAILED_PERMANENT
    assert row.last_error == f"refused at apply: protected: {arn('u00')} is on the protected list"
    at_apply = session.exec(select(AuditEvent).where(AuditEvent.kind == "revocation.refused")).all()
    (refused,) = [e for e in at_apply if e.subject.startswith("revocation:")]  # (the plan refuses items)
    assert refused.subject == f"revocation:{row.id}" and "protected" in refused.payload["reason"]
    item = session.get(ReviewItem, row.review_item_id)
    assert item is not None and item.status == ItemStatus.NEEDS_HUMAN_REVIEW
    assert "protected" in (item.human_review_reason or "")
    assert loop.execute(protection=now_protected).processed == 0  # refused once, never retried


def test_a_lower_blast_radius_in_force_at_apply_holds_automatic_revocations_for_an_admin(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 4)
    campaign = loop.closed_by_silence()
    assert loop.plan(campaign, auto_apply=True).approved == 5  # u00..u03 and olu's read, within the limits
    lowered = EnforcementSettings(mode="live", blast_radius_count=2)
    outcomes = loop.execute(lowered).outcomes
    assert outcomes == {"applied": 2, "held": 3}
    held = [r for r in loop.outbox() if r.state == RevocationState.HELD]
    assert all("blast-radius limit now in force (2" in (r.hold_reason or "") for r in held)
    assert all(r.approved_by is None for r in held)
    loop.approve(campaign)  # an admin looks and approves: their approval passes the limit
    assert loop.execute(lowered).outcomes == {"applied": 3}


def test_an_admin_grant_that_became_the_last_is_refused_at_apply(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 0)
    loop.provider.add_principal(arn("ada"), email=email("ada"), last_used=T0 - timedelta(days=200))
    loop.provider.add_member(ADMINS, arn("ada"))  # two admins: removing one is safe when planned
    loop.sync()
    campaign = loop.start(on_no_response="recommendation", scope={"access": ["admin"]})
    loop.owner_decides(campaign, "ada", DecisionOutcome.REVOKE, "moved on", via=DecidedVia.CLI)
    loop.fallback_keeps(campaign, "olu")
    loop.close(campaign)
    loop.plan(campaign)
    loop.approve(campaign)
    loop.provider.remove_member(ADMINS, arn("olu"))  # meanwhile, out of band, olu stops being an admin
    loop.sync()
    assert loop.execute().outcomes == {"refused": 1}
    (row,) = loop.outbox()
    assert row.last_error == "refused at apply: the last admin of the store is never removed"
    assert loop.provider.is_member(ADMINS, arn("ada"))


def test_one_plan_mixes_held_and_already_absent_rows_and_plans_each_item_once(
    engine: Engine, session: Session
) -> None:
    loop = Loop.with_readers(session, engine, 12)
    campaign = loop.closed_by_silence()
    loop.provider.remove_member(READERS, arn("u00"))  # gone by hand after the last sync
    summary = loop.plan(campaign, blast_radius_count=10)
    assert (summary.already_absent, summary.held) == (1, 12)
    states = [row.state for row in loop.outbox()]
    assert sorted(states) == [RevocationState.ALREADY_ABSENT] + [RevocationState.HELD] * 12
    again = loop.plan(campaign, blast_radius_count=10)  # the next tick plans nothing twice
    assert (again.already_absent, again.held, again.planned) == (0, 0, 0)
    assert len(loop.outbox()) == 13
